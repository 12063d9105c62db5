//! Eviction policies. Each file holds one policy and documents its algorithm before its code.
//! [`by_name`] builds any of them from its stable name.

pub mod arc;
pub mod clock;
pub mod fifo;
mod index_list;
pub mod lfu;
pub mod lirs;
pub mod lru;
pub mod opt;
pub mod s3fifo;
pub mod sieve;
pub mod twoq;
pub mod wtinylfu;

use super::Policy;

/// Every policy's stable name, in the order the page and the runner list them.
pub const NAMES: &[&str] = &[
    "lru", "fifo", "clock", "lfu", "2q", "arc", "sieve", "lirs", "s3fifo", "wtinylfu",
];

/// Builds the policy `name` with a capacity in bytes (or any unit the sizes are in) and room
/// for about `objects` objects up front. Every online policy honours sizes (each module says
/// how its lists and shares are measured in bytes); OPT does not.
pub fn sized_by_name(name: &str, capacity: u64, objects: usize) -> Result<Box<dyn Policy>, String> {
    Ok(match name {
        "lru" => Box::new(lru::Lru::with_room(capacity, objects)),
        "fifo" => Box::new(fifo::Fifo::with_room(capacity, objects)),
        "clock" => Box::new(clock::Clock::with_room(capacity, objects)),
        "lfu" => Box::new(lfu::Lfu::with_room(capacity, objects)),
        "2q" => Box::new(twoq::TwoQ::with_room(capacity, objects)),
        "arc" => Box::new(arc::Arc::with_room(capacity, objects)),
        "sieve" => Box::new(sieve::Sieve::with_room(capacity, objects)),
        "lirs" => Box::new(lirs::Lirs::new(capacity)),
        "s3fifo" => Box::new(s3fifo::S3Fifo::new(capacity)),
        "wtinylfu" => Box::new(wtinylfu::WTinyLfu::with_room(capacity, objects)),
        "opt" => {
            return Err(
                "OPT (Belady) counts objects: optimal eviction with sizes is NP-hard, and the \
                 furthest-next-use rule is no longer optimal with sizes"
                    .to_string(),
            )
        }
        _ => {
            return Err(format!(
                "no eviction policy {name:?}; policies: {}",
                NAMES.join(", ")
            ))
        }
    })
}

/// Builds the policy called `name` with the given capacity, or explains what names exist.
/// Offline policies (OPT) need the whole trace: see [`super::replay`].
pub fn by_name(name: &str, capacity: u64) -> Result<Box<dyn Policy>, String> {
    Ok(match name {
        "lru" => Box::new(lru::Lru::new(capacity)),
        "fifo" => Box::new(fifo::Fifo::new(capacity)),
        "clock" => Box::new(clock::Clock::new(capacity)),
        "lfu" => Box::new(lfu::Lfu::new(capacity)),
        "2q" => Box::new(twoq::TwoQ::new(capacity)),
        "arc" => Box::new(arc::Arc::new(capacity)),
        "sieve" => Box::new(sieve::Sieve::new(capacity)),
        "lirs" => Box::new(lirs::Lirs::new(capacity)),
        "s3fifo" => Box::new(s3fifo::S3Fifo::new(capacity)),
        "wtinylfu" => Box::new(wtinylfu::WTinyLfu::new(capacity)),
        "opt" => {
            return Err(
                "OPT (Belady) needs the whole trace in advance: build it with \
                        cache::policy::opt::Opt::new(capacity, &keys) and replay the same keys"
                    .to_string(),
            )
        }
        _ => {
            return Err(format!(
                "no eviction policy {name:?}; policies: {}",
                NAMES.join(", ")
            ))
        }
    })
}
