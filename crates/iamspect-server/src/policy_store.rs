//! Policies sent once (`POST /v1/policies`) and then named in cases by id.
//!
//! A policy's id is `policy:sha256:<hex>`, the SHA-256 of its exact text (the bytes of the JSON
//! string's contents, or of the document as written in the request, surrounding white space
//! trimmed): the same text always has the same id, on every server and after a restart, and a
//! client can compute it without asking. Texts are checked when stored only as JSON objects:
//! whether a policy is valid depends on its type (identity, resource, SCP...), so it is compiled
//! as a type when a case first uses it as one, through the server's compiler pool, and the result
//! (the policy, or its `MalformedPolicyDocument` error) is kept with the text, one per type.
//!
//! A case names a stored policy by its id wherever a policy goes; the id is looked up by its
//! 32-byte digest in a hash map, so a request by reference copies and compares no policy text.
//!
//! The store is bounded: at most [`MAX_POLICIES`] texts and [`MAX_BYTES`] bytes of text. When a
//! registration would go past either, the least recently used policies (used by a case or
//! registered again; registration counts as use) are evicted first; the policies of the
//! registration itself are never evicted by it, and a registration that alone exceeds a limit is
//! refused (400 `LimitExceeded`). A case naming an evicted policy gets the unknown-id error,
//! like any id the server does not hold, and the client registers the text again (its id does
//! not change). The store lives in memory: a restart empties it. The byte bound counts the texts;
//! each type a text is used as adds its compiled form (at most eight per text).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use arc_swap::ArcSwap;
use iamspect_case::{CaseError, Compiler, PolicyRefs};
use iamspect_core::{Policy, PolicyType};
use sha2::{Digest as _, Sha256};

/// Copies of each compiled policy, each with its own reference count: a thread takes the copy of
/// its stripe, so that threads deciding at the same time do not all write one shared count.
pub const STRIPES: usize = 4;

/// Policies the store holds at most.
pub const MAX_POLICIES: usize = 10_000;
/// Bytes of policy text the store holds at most.
pub const MAX_BYTES: usize = 32 << 20;

/// A policy's SHA-256: its key in the store.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Digest([u8; 32]);

impl Hash for Digest {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // A digest is uniformly distributed already: its first eight bytes are the hash.
        let mut first = [0u8; 8];
        first.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(first));
    }
}

type Map = HashMap<Digest, Arc<Stored>, foldhash::fast::FixedState>;

/// One stored policy.
struct Stored {
    id: Box<str>,
    text: Arc<str>,
    /// The store's clock when it was last used or registered.
    last_used: AtomicU64,
    /// The order it was first stored in (ties of `last_used` evict the oldest first).
    seq: u64,
    /// The text compiled as each type of [`PolicyType::ALL`], once used as that type ([`STRIPES`]
    /// equal copies).
    compiled: [OnceLock<Result<[Arc<Policy>; STRIPES], CaseError>>; 8],
}

/// This thread's stripe (threads numbered in the order they first ask).
fn stripe() -> usize {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static STRIPE: usize = usize::try_from(NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES as u64).unwrap_or(0);
    }
    STRIPE.with(|s| *s)
}

impl Stored {
    fn compiled(&self, policy_type: PolicyType, compiler: &mut Compiler) -> Result<Arc<Policy>, CaseError> {
        let Some(slot) = PolicyType::ALL.iter().position(|t| *t == policy_type).and_then(|i| self.compiled.get(i))
        else {
            return compiler.compile(&self.id, &self.text, policy_type);
        };
        let copies = slot.get_or_init(|| {
            let policy = compiler.compile(&self.id, &self.text, policy_type)?;
            Ok(std::array::from_fn(|i| if i == 0 { Arc::clone(&policy) } else { Arc::new(Policy::clone(&policy)) }))
        });
        match copies {
            Ok(copies) => Ok(Arc::clone(&copies[stripe()])),
            Err(e) => Err(e.clone()),
        }
    }

    fn touch(&self, now: u64) {
        // Read first: most uses find the stamp current, and write nothing shared.
        if self.last_used.load(Ordering::Relaxed) != now {
            self.last_used.store(now, Ordering::Relaxed);
        }
    }
}

/// Why a registration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The registration alone exceeds [`MAX_POLICIES`] or [`MAX_BYTES`] (`LimitExceeded`).
    TooMany(String),
}

/// What a registration did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The id of each text, in the order given.
    pub ids: Vec<String>,
    /// How many older policies were evicted to make room.
    pub evicted: usize,
}

/// The policies clients registered (see the module documentation).
#[derive(Default)]
pub struct PolicyStore {
    map: ArcSwap<Map>,
    /// Registrations run one at a time (requests that only read never take it).
    writing: Mutex<WriteState>,
    /// Advanced by each registration; uses are stamped with it.
    clock: AtomicU64,
}

#[derive(Default)]
struct WriteState {
    bytes: usize,
    seq: u64,
}

/// The id of `text`: `policy:sha256:` and the SHA-256 of its bytes in lowercase hex.
pub fn policy_id(text: &str) -> String {
    iamspect_case::policy_id(&Sha256::digest(text.as_bytes()).into())
}

/// Checks that `text` can be stored: a JSON object, at most the largest policy a case reads.
pub fn check_text(text: &str) -> Result<(), String> {
    if text.len() > iamspect_core::policy::MAX_POLICY_BYTES {
        return Err(format!(
            "the policy is {} bytes; at most {} are stored",
            text.len(),
            iamspect_core::policy::MAX_POLICY_BYTES
        ));
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err("a policy must be a JSON object".to_string()),
        Err(e) => Err(format!("the policy is not valid JSON: {e}")),
    }
}

impl PolicyStore {
    /// Stores `texts` (each already checked with [`check_text`]), evicting the least recently
    /// used policies if the limits require it.
    pub fn register(&self, texts: &[&str]) -> Result<Registered, StoreError> {
        let total: usize = texts.iter().map(|t| t.len()).sum();
        if texts.len() > MAX_POLICIES || total > MAX_BYTES {
            return Err(StoreError::TooMany(format!(
                "{} policies of {total} bytes in one registration; the store holds at most {MAX_POLICIES} policies \
                 and {MAX_BYTES} bytes",
                texts.len()
            )));
        }
        let mut write = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        // Registered policies get a stamp older than the uses that follow (`now + 1`).
        let now = self.clock.fetch_add(2, Ordering::Relaxed) + 1;
        let mut map: Map = (**self.map.load()).clone();
        let mut ids = Vec::with_capacity(texts.len());
        for text in texts {
            let digest = Digest(Sha256::digest(text.as_bytes()).into());
            let id = iamspect_case::policy_id(&digest.0);
            match map.get(&digest) {
                Some(stored) => stored.last_used.store(now, Ordering::Relaxed),
                None => {
                    write.seq += 1;
                    write.bytes += text.len();
                    let stored = Stored {
                        id: id.as_str().into(),
                        text: (*text).into(),
                        last_used: AtomicU64::new(now),
                        seq: write.seq,
                        compiled: Default::default(),
                    };
                    map.insert(digest, Arc::new(stored));
                }
            }
            ids.push(id);
        }
        let mut evicted = 0;
        if map.len() > MAX_POLICIES || write.bytes > MAX_BYTES {
            let mut old: Vec<(u64, u64, Digest, usize)> = map
                .iter()
                .filter(|(_, s)| s.last_used.load(Ordering::Relaxed) != now)
                .map(|(d, s)| (s.last_used.load(Ordering::Relaxed), s.seq, *d, s.text.len()))
                .collect();
            old.sort_unstable_by_key(|(used, seq, _, _)| (*used, *seq));
            for (_, _, digest, len) in old {
                if map.len() <= MAX_POLICIES && write.bytes <= MAX_BYTES {
                    break;
                }
                map.remove(&digest);
                write.bytes -= len;
                evicted += 1;
            }
        }
        self.map.store(Arc::new(map));
        Ok(Registered { ids, evicted })
    }

    /// The text of the policy `id` names, if the store holds it.
    pub fn text(&self, id: &str) -> Option<Arc<str>> {
        let digest = Digest(iamspect_case::policy_id_digest(id)?);
        self.map.load().get(&digest).map(|s| Arc::clone(&s.text))
    }

    /// The number of policies stored.
    pub fn len(&self) -> usize {
        self.map.load().len()
    }

    /// True if no policy is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of text stored.
    pub fn bytes(&self) -> usize {
        self.writing.lock().unwrap_or_else(PoisonError::into_inner).bytes
    }

    /// The store as it is now, for one request's lookups (see [`Lookup`]).
    pub fn lookup(&self) -> Lookup {
        Lookup { map: self.map.load(), now: self.clock.load(Ordering::Relaxed), missing: false.into() }
    }
}

/// One request's view of the store: the ids it resolves, and whether one was missing (a case
/// that depends on the store's contents must not be remembered by its body alone).
pub struct Lookup {
    /// A guard rather than a clone of the `Arc`: no shared count is written per request.
    map: arc_swap::Guard<Arc<Map>>,
    now: u64,
    missing: std::cell::Cell<bool>,
}

impl Lookup {
    /// True if a case asked for an id the store does not hold.
    pub fn missed(&self) -> bool {
        self.missing.get()
    }
}

impl PolicyRefs for Lookup {
    fn policy(
        &self,
        digest: &[u8; 32],
        policy_type: PolicyType,
        compiler: &mut Compiler,
    ) -> Option<Result<Arc<Policy>, CaseError>> {
        let Some(stored) = self.map.get(&Digest(*digest)) else {
            self.missing.set(true);
            return None;
        };
        stored.touch(self.now);
        Some(stored.compiled(policy_type, compiler))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOW: &str =
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#;

    #[test]
    fn ids_are_the_sha256_of_the_text() {
        // sha256("abc"), FIPS 180-2's example.
        assert_eq!(policy_id("abc"), "policy:sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let store = PolicyStore::default();
        let r = store.register(&[ALLOW, ALLOW]).unwrap();
        assert_eq!(r.ids, vec![policy_id(ALLOW), policy_id(ALLOW)]);
        assert_eq!((store.len(), store.bytes()), (1, ALLOW.len()));
        assert_eq!(store.text(&r.ids[0]).as_deref(), Some(ALLOW));
    }

    #[test]
    fn compiled_once_per_type() {
        let store = PolicyStore::default();
        let id = store.register(&[ALLOW]).unwrap().ids.remove(0);
        let digest = iamspect_case::policy_id_digest(&id).unwrap();
        let lookup = store.lookup();
        let mut c = Compiler::new();
        let a = lookup.policy(&digest, PolicyType::Identity, &mut c).unwrap().unwrap();
        let b = lookup.policy(&digest, PolicyType::Identity, &mut Compiler::new()).unwrap().unwrap();
        // The same thread, the same copy; another thread may get another, equal copy.
        assert!(Arc::ptr_eq(&a, &b));
        let other = std::thread::scope(|s| {
            s.spawn(|| store.lookup().policy(&digest, PolicyType::Identity, &mut Compiler::new()).unwrap().unwrap())
                .join()
                .unwrap()
        });
        assert_eq!(*a, *other);
        assert_eq!(a.name(), id);
        let scp = lookup.policy(&digest, PolicyType::Scp, &mut c).unwrap().unwrap();
        assert!(!Arc::ptr_eq(&a, &scp));
        assert!(!lookup.missed());
        assert!(lookup.policy(&[0; 32], PolicyType::Identity, &mut c).is_none());
        assert!(lookup.missed());
    }

    #[test]
    fn least_recently_used_go_first() {
        let store = PolicyStore::default();
        let texts: Vec<String> = (0..MAX_POLICIES).map(|i| format!("{{\"n\": {i}}}")).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let ids = store.register(&refs).unwrap().ids;
        // Policy 0 is used after the registration; 1 is now the least recently used.
        let lookup = store.lookup();
        let _ = lookup.policy(
            &iamspect_case::policy_id_digest(&ids[0]).unwrap(),
            PolicyType::Identity,
            &mut Compiler::new(),
        );
        let r = store.register(&["{\"new\": 1}"]).unwrap();
        assert_eq!(r.evicted, 1);
        assert_eq!(store.len(), MAX_POLICIES);
        assert!(store.text(&ids[1]).is_none());
        assert!(store.text(&ids[0]).is_some());
        let too_many: Vec<&str> = (0..=MAX_POLICIES).map(|_| "{}").collect();
        assert!(matches!(store.register(&too_many), Err(StoreError::TooMany(_))));
    }
}
