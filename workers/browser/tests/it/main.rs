//! The `browser` function against a real chromedriver and headless Chromium, driving a fake
//! seller back office served by the test itself.

mod backoffice;
mod env;
mod failures;
mod flows;
