//! shopflow's OCR (`ocr.text`, `ocr.invoice`, `shopflow ocr`): Tesseract through leptess on
//! preprocessed pages (local threshold, deskew, rescale, rule removal), then fields for Chinese
//! fapiao, shop order screenshots and English or European invoices, each with a confidence and
//! a box, cross-checked in integer fen. [`samples`] renders synthetic documents with known
//! truth for the tests and the benchmark.
//!
//! The output schema is [`OcrResult`]; docs/functions/ocr.invoice.md describes it for flow
//! authors.

pub mod engine;
pub mod error;
pub mod extract;
pub mod function;
pub mod input;
pub mod layout;
pub mod preprocess;
pub mod recognize;
pub mod result;
pub mod samples;

use std::sync::Arc;

use shopflow_core::{ArtifactStore, FunctionRegistry};
use tokio::sync::Semaphore;

pub use engine::Segmentation;
pub use error::Error;
pub use input::{Limits, MediaType};
pub use recognize::{DEFAULT_LANGUAGES, Options, recognize_bytes, recognize_file, recognize_image};
pub use result::{
    BoundingBox, Field, Kind, Layout, LineItem, OcrResult, PageInfo, Reason, TextLine,
};

/// Registers `ocr.text` and `ocr.invoice`, reading `artifact` arguments from `artifacts`, with
/// at most as many documents recognised at once as the machine has cores.
pub fn register(registry: &mut FunctionRegistry, artifacts: Option<ArtifactStore>) {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    register_with(registry, artifacts, cores, Options::default());
}

/// Registers `ocr.text` and `ocr.invoice` with `concurrency` documents at a time and default
/// `options` (languages, limits).
pub fn register_with(
    registry: &mut FunctionRegistry,
    artifacts: Option<ArtifactStore>,
    concurrency: usize,
    options: Options,
) {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    for kind in [Kind::Text, Kind::Invoice] {
        let name = match kind {
            Kind::Text => "ocr.text",
            Kind::Invoice => "ocr.invoice",
        };
        registry.register(
            name,
            Arc::new(function::OcrFunction::new(
                kind,
                artifacts.clone(),
                permits.clone(),
                options.clone(),
            )),
        );
    }
}
