//! What `/v1/authorize` remembers across requests, so that repeated policies compile once.
//!
//! Two bounded caches, both shared by every request through [`crate::AppState`]:
//!
//! - [`CompilerPool`]: a few [`Compiler`]s (each one a map from a policy's text, by a hash of it
//!   confirmed by comparing the text, and its type, name and place to its compiled `Arc<Policy>`,
//!   or its error). A request takes one out of the pool (its thread's own, see [`CompilerPool`])
//!   for the time it builds its case and puts it back, so compiling never happens under a lock and a policy seen before is a hash, a
//!   comparison and an `Arc` clone; with [`iamspect_case::inline_case`], a known policy in a body
//!   is not even parsed. Each compiler is emptied when it holds more than [`COMPILER_CAPACITY`]
//!   policies (or texts); the pool keeps at most [`POOL_SIZE`] of them, so at most 10,000
//!   compiled policies are kept in all.
//! - [`CaseCache`]: the whole case built from a body (its request and compiled policies), keyed
//!   by the body's exact text, for servers without account data (where the case depends on the
//!   body alone). A repeated body skips JSON parsing and request building; the decision itself
//!   is still made on every request. A body is kept from the second time it is seen (a table of
//!   [`SEEN_SLOTS`] hashes remembers the first time), so that bodies that never repeat cost no
//!   copy. At most [`CASE_ENTRIES`] bodies and [`CASE_BYTES`] bytes of bodies are kept; past
//!   either, the cache is emptied and fills again. A body that names stored policies by id
//!   (see [`crate::policy_store`]) depends on the store too: its case is kept only when every id
//!   was found, and the cache is emptied whenever the store evicts a policy.
//!
//! Both are pure memoisation: case building is deterministic in the body (and, for the
//! compilers, in the policy text), so answers are the same with or without them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use iamspect_case::{Case, Compiler};

/// Compilers kept in the pool (more may exist for a moment under load; the extra ones are dropped).
pub const POOL_SIZE: usize = 4;
/// Compiled policies one pooled compiler holds before it is emptied.
pub const COMPILER_CAPACITY: usize = 2_500;
/// Bodies the case cache holds at most.
pub const CASE_ENTRIES: usize = 10_000;
/// Bytes of bodies the case cache holds at most.
pub const CASE_BYTES: usize = 64 << 20;
/// Hashes of bodies seen once that the case cache remembers (a body is kept when seen again).
pub const SEEN_SLOTS: usize = 4_096;

/// A pool of policy compilers shared by the requests: one slot per thread stripe.
///
/// A thread takes the compiler of its own stripe (threads are numbered in the order they first
/// ask), so that the compiled policies a thread hands out, and the reference counts their `Arc`s
/// update on every request, stay with that thread (as do the compiler's index and texts) instead
/// of moving between cores with a compiler taken from a shared stack. When its slot is empty (its compiler is in use), a thread
/// takes the next one that is not, or a new one.
pub struct CompilerPool {
    slots: [Mutex<Option<Compiler>>; POOL_SIZE],
}

impl Default for CompilerPool {
    fn default() -> CompilerPool {
        CompilerPool { slots: std::array::from_fn(|_| Mutex::new(None)) }
    }
}

/// This thread's stripe of the pool (threads numbered in the order they first ask).
fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % POOL_SIZE;
    }
    STRIPE.with(|s| *s)
}

impl CompilerPool {
    /// Runs `f` with a compiler that remembers the policies of earlier requests.
    pub fn with<T>(&self, f: impl FnOnce(&mut Compiler) -> T) -> T {
        let own = stripe();
        let slot = |i: usize| self.slots[(own + i) % POOL_SIZE].lock().unwrap_or_else(PoisonError::into_inner);
        let taken = (0..POOL_SIZE).find_map(|i| slot(i).take());
        let mut compiler = taken.unwrap_or_default();
        let out = f(&mut compiler);
        if compiler.len() > COMPILER_CAPACITY || compiler.texts() > COMPILER_CAPACITY {
            compiler = Compiler::new();
        }
        for i in 0..POOL_SIZE {
            let mut idle = slot(i);
            if idle.is_none() {
                *idle = Some(compiler);
                break;
            }
        }
        out
    }

    /// The number of policies the idle compilers hold.
    pub fn len(&self) -> usize {
        let len = |s: &Mutex<Option<Compiler>>| {
            s.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map_or(0, Compiler::len)
        };
        self.slots.iter().map(len).sum()
    }

    /// True if the idle compilers hold no policy.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct Entry {
    body: Box<str>,
    case: Arc<Case>,
}

#[derive(Default)]
struct Cases {
    map: HashMap<u64, Entry>,
    bytes: usize,
}

/// Built cases by the exact text of their body.
pub struct CaseCache {
    cases: RwLock<Cases>,
    /// The hashes of bodies seen once, each in the slot its hash picks (a later body may take
    /// the slot: then the first one is kept only from its third sighting on).
    seen: Box<[AtomicU64]>,
}

impl Default for CaseCache {
    fn default() -> CaseCache {
        CaseCache { cases: RwLock::default(), seen: (0..SEEN_SLOTS).map(|_| AtomicU64::new(0)).collect() }
    }
}

/// A body's hash, computed once for a lookup and the insertion after it.
#[derive(Clone, Copy, Debug)]
pub struct BodyKey(u64);

impl CaseCache {
    /// The key of `body`.
    pub fn key(body: &str) -> BodyKey {
        BodyKey(hash(body))
    }

    /// The case built earlier from exactly `body`, if it is still kept.
    pub fn get(&self, body: &str) -> Option<Arc<Case>> {
        self.get_keyed(body, CaseCache::key(body))
    }

    /// [`CaseCache::get`] with the body's key.
    pub fn get_keyed(&self, body: &str, key: BodyKey) -> Option<Arc<Case>> {
        let cases = self.cases.read().unwrap_or_else(PoisonError::into_inner);
        cases.map.get(&key.0).filter(|e| *e.body == *body).map(|e| Arc::clone(&e.case))
    }

    /// Remembers the case built from `body`.
    pub fn insert(&self, body: &str, case: Arc<Case>) {
        self.insert_keyed(body, CaseCache::key(body), case);
    }

    /// Remembers the case built from `body` if the body was seen before (see [`SEEN_SLOTS`]).
    pub fn insert_if_seen(&self, body: &str, key: BodyKey, case: Arc<Case>) {
        let slot = &self.seen[usize::try_from(key.0 % SEEN_SLOTS as u64).unwrap_or_default()];
        if slot.swap(key.0, Ordering::Relaxed) == key.0 {
            self.insert_keyed(body, key, case);
        }
    }

    fn insert_keyed(&self, body: &str, key: BodyKey, case: Arc<Case>) {
        if body.len() > CASE_BYTES / 16 {
            return;
        }
        let key = key.0;
        let mut cases = self.cases.write().unwrap_or_else(PoisonError::into_inner);
        if cases.map.len() >= CASE_ENTRIES || cases.bytes + body.len() > CASE_BYTES {
            cases.map.clear();
            cases.bytes = 0;
        }
        let old = cases.map.insert(key, Entry { body: body.into(), case });
        cases.bytes = cases.bytes + body.len() - old.map_or(0, |e| e.body.len());
    }

    /// Forgets every body (when what a body's case depends on besides the body, a stored
    /// policy, goes away).
    pub fn clear(&self) {
        let mut cases = self.cases.write().unwrap_or_else(PoisonError::into_inner);
        cases.map.clear();
        cases.bytes = 0;
    }

    /// The number of bodies kept.
    pub fn len(&self) -> usize {
        self.cases.read().unwrap_or_else(PoisonError::into_inner).map.len()
    }

    /// True if no body is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A fast, non-cryptographic hash of the body (foldhash). A collision only costs a miss: entries
/// are compared by their full text.
fn hash(text: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x1d8e_4e27_c47d_124f).hash_one(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_every_byte() {
        assert_ne!(hash("abcdefghi"), hash("abcdefghj"));
        assert_ne!(hash("abcdefgh"), hash("abcdefgh\0"));
        assert_ne!(hash(&"a".repeat(100)), hash(&format!("{}b", "a".repeat(99))));
        assert_eq!(hash("same text"), hash("same text"));
    }

    #[test]
    fn pool_keeps_compiled_policies_and_stays_bounded() {
        let pool = CompilerPool::default();
        let text = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#;
        let first = pool.with(|c| c.compile("p", text, iamspect_core::PolicyType::Identity)).unwrap();
        let second = pool.with(|c| c.compile("p", text, iamspect_core::PolicyType::Identity)).unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        for i in 0..=COMPILER_CAPACITY {
            let _ = pool.with(|c| c.compile(&format!("p{i}"), text, iamspect_core::PolicyType::Identity));
        }
        assert!(pool.len() <= COMPILER_CAPACITY * POOL_SIZE);
    }

    #[test]
    fn bodies_are_kept_from_their_second_sighting() {
        let cache = CaseCache::default();
        let case = Arc::new(Case {
            index: 0,
            description: None,
            expect: None,
            built: Err(iamspect_case::CaseError { code: "InvalidInput", message: String::new() }),
        });
        let key = CaseCache::key("body one");
        cache.insert_if_seen("body one", key, Arc::clone(&case));
        assert!(cache.get("body one").is_none());
        cache.insert_if_seen("body one", key, Arc::clone(&case));
        assert!(Arc::ptr_eq(&cache.get("body one").unwrap(), &case));
        assert!(cache.get("body two").is_none());
        assert_eq!(cache.len(), 1);
    }
}
