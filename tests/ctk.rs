//! Conformance kit runner.
fn main() {}
