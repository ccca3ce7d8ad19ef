//! Questions over whole accounts: who can do an action on a resource, and what a principal can
//! do. Both run on [`Index`]: every policy compiled once, every principal's policies gathered once.

pub(crate) mod index;
mod what_can;
pub(crate) mod who_can;

pub use index::{Index, IndexedPrincipal};
pub use what_can::{ActionAccess, Grant, what_can};
pub use who_can::{Access, Conditional, allowed_with_everything, kind_word, who_can, who_can_with};
