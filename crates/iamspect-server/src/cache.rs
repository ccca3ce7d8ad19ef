//! What `/v1/authorize` remembers across requests, so that repeated policies compile once.
//!
//! Two bounded caches, both shared by every request through [`crate::AppState`]:
//!
//! - [`CompilerPool`]: a few [`Compiler`]s (each one a map from a policy's type, text, name and
//!   place to its compiled `Arc<Policy>`, or its error). A request takes one out of the pool for
//!   the time it builds its case and puts it back, so compiling never happens under a lock and a
//!   policy seen before is a map lookup and an `Arc` clone. Each compiler is emptied when it holds
//!   more than [`COMPILER_CAPACITY`] policies; the pool keeps at most [`POOL_SIZE`] of them, so at
//!   most 10,000 compiled policies are kept in all.
//! - [`CaseCache`]: the whole case built from a body (its request and compiled policies), keyed
//!   by the body's exact text, for servers without account data (where the case depends on the
//!   body alone). A repeated body skips JSON parsing and request building; the decision itself
//!   is still made on every request. At most [`CASE_ENTRIES`] bodies and [`CASE_BYTES`] bytes of
//!   bodies are kept; past either, the cache is emptied and fills again.
//!
//! Both are pure memoisation: case building is deterministic in the body (and, for the
//! compilers, in the policy text), so answers are the same with or without them.

use std::collections::HashMap;
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

/// A pool of policy compilers shared by the requests.
#[derive(Default)]
pub struct CompilerPool {
    idle: Mutex<Vec<Compiler>>,
}

impl CompilerPool {
    /// Runs `f` with a compiler that remembers the policies of earlier requests.
    pub fn with<T>(&self, f: impl FnOnce(&mut Compiler) -> T) -> T {
        let taken = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut compiler = taken.unwrap_or_default();
        let out = f(&mut compiler);
        if compiler.len() > COMPILER_CAPACITY {
            compiler = Compiler::new();
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < POOL_SIZE {
            idle.push(compiler);
        }
        out
    }

    /// The number of policies the idle compilers hold.
    pub fn len(&self) -> usize {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).iter().map(Compiler::len).sum()
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
#[derive(Default)]
pub struct CaseCache {
    cases: RwLock<Cases>,
}

impl CaseCache {
    /// The case built earlier from exactly `body`, if it is still kept.
    pub fn get(&self, body: &str) -> Option<Arc<Case>> {
        let key = hash(body);
        let cases = self.cases.read().unwrap_or_else(PoisonError::into_inner);
        cases.map.get(&key).filter(|e| *e.body == *body).map(|e| Arc::clone(&e.case))
    }

    /// Remembers the case built from `body`.
    pub fn insert(&self, body: &str, case: Arc<Case>) {
        if body.len() > CASE_BYTES / 16 {
            return;
        }
        let key = hash(body);
        let mut cases = self.cases.write().unwrap_or_else(PoisonError::into_inner);
        if cases.map.len() >= CASE_ENTRIES || cases.bytes + body.len() > CASE_BYTES {
            cases.map.clear();
            cases.bytes = 0;
        }
        let old = cases.map.insert(key, Entry { body: body.into(), case });
        cases.bytes = cases.bytes + body.len() - old.map_or(0, |e| e.body.len());
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

/// A fast, non-cryptographic hash of the body (FxHash's mixing over 8-byte words). A collision
/// only costs a miss: entries are compared by their full text.
fn hash(text: &str) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let bytes = text.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    let mut h = bytes.len() as u64;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = mix(h, u64::from_le_bytes(w));
    }
    let mut w = [0u8; 8];
    let rest = chunks.remainder();
    w[..rest.len()].copy_from_slice(rest);
    mix(h, u64::from_le_bytes(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_every_byte() {
        assert_ne!(hash("abcdefghi"), hash("abcdefghj"));
        assert_ne!(hash("abcdefgh"), hash("abcdefgh\0"));
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
}
