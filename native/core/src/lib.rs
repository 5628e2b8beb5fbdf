//! Sluice's broker core: pure Rust, no N-API. All queue semantics live here; the binding in
//! `native/binding` only converts, and the TypeScript control plane owns protocols and policy.

pub mod broker;
pub mod clock;
pub mod dedup;
pub mod error_code;
pub mod fifo;
pub mod journal;
pub mod limits;
pub mod message;
pub mod move_task;
pub mod queue;
pub mod receipt;
pub mod recovery;
pub mod spill;
pub mod timer;

pub use broker::Broker;
