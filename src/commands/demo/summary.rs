//! The demo's closing table: the shipped flows' key figures, computed by the console's KPI
//! module (`shopflow_server::console::kpi`), so the table and the console's KPI board agree.

pub use shopflow_server::console::kpi::{render, summarise, tasks_per_queue};
