//! shopflow's ticket classifier (`ticket.classify`, `shopflow classify`, `shopflow train`):
//! department, sentiment and urgency of a buyer's message in Chinese or English, from a linear
//! model over jieba words and character bigrams, trained on the examples in
//! `workflows/data/tickets/` plus the corrections agents make.

pub mod classifier;
pub mod data;
pub mod features;
pub mod function;
pub mod labels;
pub mod model;

use std::sync::Arc;

use shopflow_core::FunctionRegistry;

pub use classifier::{Classification, Classifier, Evaluation};
pub use data::Example;
pub use labels::{Department, Sentiment, Urgency};
pub use model::Training;

/// Registers `ticket.classify` over `classifier` (`None`: the shipped model, trained on first
/// use).
pub fn register(registry: &mut FunctionRegistry, classifier: Option<Arc<Classifier>>) {
    registry.register(
        "ticket.classify",
        Arc::new(function::TicketClassify::new(classifier)),
    );
}
