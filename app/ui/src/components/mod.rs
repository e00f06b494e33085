//! The screens' building blocks: plain data and callbacks in, markup out.

mod case_list;
mod lock;
mod sync_bar;

pub use case_list::CaseList;
pub use lock::{LockReason, LockScreen};
pub use sync_bar::SyncBar;
