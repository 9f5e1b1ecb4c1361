//! shopflow as a library: how a running shopflow is assembled — every built-in function with
//! its configuration, the embedded engine, the HTTP services — so `shopflow serve`, the demo
//! (`shopflow demo`) and the end-to-end tests build exactly the same thing. The command line
//! itself is the binary (`src/main.rs`, `src/commands/`).

pub mod app;
