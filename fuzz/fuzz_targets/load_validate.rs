//! Fuzzes loading and validating a flow: any bytes must give a flow or diagnostics, never a
//! panic, a hang or a stack overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(diags) = shopflow_dsl::load(data, &["noop", "echo"]) {
        assert!(!diags.is_empty());
        for d in &diags {
            assert!(d.pos.line >= 1 && d.pos.col >= 1, "diagnostic without a position: {d:?}");
            let _ = d.render("fuzz.yaml");
        }
    }
});
