//! The matmul kernels (strided and the blocked vec4 one) against their CPU twin.

use crate::prelude::*;

#[test]
fn matmul_kernels_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(12);
    for _ in 0..6 {
        let (m, n, k) = (1 + rng.below(40) as u32, 1 + rng.below(40) as u32, 1 + rng.below(300) as u32);
        // Transposed layouts too: a stored [k, m], b stored [n, k].
        let ta = rng.below(2) == 1;
        let tb = rng.below(2) == 1;
        let p = MatmulParams {
            m,
            n,
            k,
            has_bias: rng.below(2) as u32,
            a_sm: if ta { 1 } else { k },
            a_sk: if ta { m } else { 1 },
            b_sk: if tb { 1 } else { n },
            b_sn: if tb { k } else { 1 },
        };
        let a = random(&mut rng, (m * k) as usize);
        let b = random(&mut rng, (k * n) as usize);
        let bias = random(&mut rng, n as usize);
        let want = matmul::twin::matmul_strided(&p, &a, &b, &bias);
        let (ba, bb, bbias) = (gpu.upload("a", &a), gpu.upload("b", &b), gpu.upload("bias", &bias));
        let c = gpu.storage("c", (m * n) as usize);
        run(gpu, p.dispatch_strided(gpu, &ba, &bb, &bbias, &c).unwrap());
        assert_close(&format!("matmul/strided {p:?}"), &read(gpu, &c, (m * n) as usize), &want, sum_tol(k as usize));
        // The blocked kernel wherever it applies: same product with b row-major, n % 4 == 0.
        let n4 = 4 * n.div_ceil(4);
        let q = MatmulParams { n: n4, b_sk: n4, b_sn: 1, ..p };
        assert!(q.vec4_applies());
        let b4 = random(&mut rng, (k * n4) as usize);
        let bias4 = random(&mut rng, n4 as usize);
        let c4 = gpu.storage("c4", (m * n4) as usize);
        run(gpu, q.dispatch(gpu, &ba, &gpu.upload("b4", &b4), &gpu.upload("bias4", &bias4), &c4).unwrap());
        assert_close(
            &format!("matmul/row_major_b_vec4 {q:?}"),
            &read(gpu, &c4, (m * n4) as usize),
            &matmul::twin::matmul_strided(&q, &a, &b4, &bias4),
            sum_tol(k as usize),
        );
        // ... and with a row-major and k % 4 == 0, where it reads a as vec4s too.
        let k4 = 4 * k.div_ceil(4);
        let v = MatmulParams { k: k4, a_sm: k4, a_sk: 1, b_sk: n4, ..q };
        assert!(v.vec4_applies() && v.a_layout() == 1);
        let (av, bv) = (random(&mut rng, (m * k4) as usize), random(&mut rng, (k4 * n4) as usize));
        let cv = gpu.storage("cv", (m * n4) as usize);
        run(
            gpu,
            v.dispatch(gpu, &gpu.upload("av", &av), &gpu.upload("bv", &bv), &gpu.upload("bias4", &bias4), &cv).unwrap(),
        );
        assert_close(
            &format!("matmul/row_major_b_vec4 with a as vec4s {v:?}"),
            &read(gpu, &cv, (m * n4) as usize),
            &matmul::twin::matmul_strided(&v, &av, &bv, &bias4),
            sum_tol(k4 as usize),
        );
        // ... and with a column-major (stored [k, m4]), where it reads four rows as one vec4.
        let m4 = 4 * m.div_ceil(4);
        let t4 = MatmulParams { a_sm: 1, a_sk: m4, ..q };
        assert!(t4.vec4_applies() && t4.a_layout() == 2);
        let at4 = random(&mut rng, (k * m4) as usize);
        let ct4 = gpu.storage("ct4", (m * n4) as usize);
        run(
            gpu,
            t4.dispatch(gpu, &gpu.upload("at4", &at4), &gpu.upload("b4", &b4), &gpu.upload("bias4", &bias4), &ct4)
                .unwrap(),
        );
        assert_close(
            &format!("matmul/row_major_b_vec4 with a column-major {t4:?}"),
            &read(gpu, &ct4, (m * n4) as usize),
            &matmul::twin::matmul_strided(&t4, &at4, &b4, &bias4),
            sum_tol(k as usize),
        );
        // The transposed-b kernel (a dense forward): a row-major [m, k4], b row-major [n, k4].
        let k4 = 4 * k.div_ceil(4);
        let t = MatmulParams { m, n, k: k4, has_bias: p.has_bias, a_sm: k4, a_sk: 1, b_sk: 1, b_sn: k4 };
        assert!(t.bt_vec4_applies() && t.kernel().shader.name == "matmul/row_major_bt_vec4");
        let (at, bt) = (random(&mut rng, (m * k4) as usize), random(&mut rng, (n * k4) as usize));
        let ct = gpu.storage("ct", (m * n) as usize);
        run(gpu, t.dispatch(gpu, &gpu.upload("at", &at), &gpu.upload("bt", &bt), &bbias, &ct).unwrap());
        assert_close(
            &format!("matmul/row_major_bt_vec4 {t:?}"),
            &read(gpu, &ct, (m * n) as usize),
            &matmul::twin::matmul_strided(&t, &at, &bt, &bias),
            sum_tol(k4 as usize),
        );
    }
}
