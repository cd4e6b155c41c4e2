//! Finding MNIST for a command: `--data DIR`, else `$QAT_DATA`, `../shared/data/mnist`,
//! `./data/mnist`, the download cache, and finally a download into the cache unless `--offline`.

use std::path::PathBuf;
use wgpu_qat::data::{download, mnist, Mnist};
use wgpu_qat::{QatError, Result};

#[derive(clap::Args, Debug, Clone)]
pub struct DataArgs {
    /// Folder with the four MNIST IDX files (.gz or raw).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Never download MNIST.
    #[arg(long)]
    pub offline: bool,
}

pub fn load(args: &DataArgs) -> Result<Mnist> {
    let dir = match (&args.data, mnist::locate(args.data.as_deref())) {
        (_, Ok(dir)) => dir,
        (Some(_), Err(e)) => return Err(e),
        (None, Err(e)) => match download::cache_dir() {
            Some(cache) if mnist::is_complete(&cache) => cache,
            Some(cache) if !args.offline => download::ensure(&cache, download::MIRROR)?,
            _ => return Err(e),
        },
    };
    let data = Mnist::load(&dir)?;
    for p in &data.not_genuine {
        eprintln!("warning: {} is not the published MNIST file (checksum differs)", p.display());
    }
    if data.rows == 0 || data.cols == 0 || data.train.count == 0 {
        return Err(QatError::BadData { path: dir, detail: "empty data set".into() });
    }
    Ok(data)
}
