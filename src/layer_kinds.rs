//! The one list of layer kinds: `layer_kinds!(m)` hands every kind, as `module Type`, to the
//! macro `m`. `model::kinds` declares their descriptions from it (the `Layer` enum and its
//! dispatch), `layers` their training and export; adding a kind adds one line here, its file in
//! `src/model/kinds/` and its file in `src/layers/`.

/// Calls `$m! { module Type, ... }` with every layer kind (see the module comment).
#[macro_export]
#[doc(hidden)]
macro_rules! layer_kinds {
    ($m:ident) => {
        $m! {
            conv2d Conv2d,
            depthwise_conv2d DepthwiseConv2d,
            max_pool MaxPool,
            avg_pool AvgPool,
            global_avg_pool GlobalAvgPool,
            flatten Flatten,
            dense Dense,
            add Add,
            concat Concat,
        }
    };
}
