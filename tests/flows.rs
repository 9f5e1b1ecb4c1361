//! The four shipped flows end to end on the sandbox platforms: every path a run can take
//! (the happy one and each exception) with the real engine, every real worker, the platforms'
//! real push channels and a clock the test moves by hand. See `tests/flows/world.rs`.

#[path = "flows/chase.rs"]
mod chase;
#[path = "flows/invoices.rs"]
mod invoices;
#[path = "flows/returns.rs"]
mod returns;
#[path = "flows/tickets.rs"]
mod tickets;
#[path = "flows/world.rs"]
mod world;
