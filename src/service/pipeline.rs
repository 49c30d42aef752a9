//! Work split between two threads: one produces items (reads and decodes
//! rows, parses a file), the calling thread consumes them (adds up,
//! records). Items go over in batches through a bounded channel, so on two
//! cores both halves run at once and memory holds a few batches at most.

use std::sync::mpsc::{sync_channel, SyncSender};

/// Batches waiting in the channel, besides the one each side holds.
const WAITING: usize = 2;

/// Largest batch allocated up front (a caller may ask for huge batches).
const MAX_PREALLOCATED: usize = 8_192;

/// The producer's end: collects items and hands them over a batch at a time.
pub struct Handoff<T> {
    out: SyncSender<Vec<T>>,
    batch: Vec<T>,
    size: usize,
}

impl<T> Handoff<T> {
    /// Adds an item, handing the batch over when it is full. `false`: the
    /// consumer has stopped (it failed), so the producer should stop too.
    pub fn push(&mut self, item: T) -> bool {
        self.batch.push(item);
        if self.batch.len() < self.size {
            return true;
        }
        let full = std::mem::replace(
            &mut self.batch,
            Vec::with_capacity(self.size.min(MAX_PREALLOCATED)),
        );
        self.out.send(full).is_ok()
    }

    fn finish(self) {
        if !self.batch.is_empty() {
            // A closed channel: the consumer stopped, nothing to hand over.
            let _ = self.out.send(self.batch);
        }
    }
}

/// Runs `produce` on a thread of its own, handing items over `size` at a
/// time, while `consume` takes each batch on the calling thread. The
/// consumer's error comes first (it stops the producer at its next
/// hand-off); then the producer's, after every batch it handed over was
/// consumed. A producer that fails hands nothing more over.
pub fn pipelined<T, E, P, C>(size: usize, produce: P, consume: C) -> Result<(), E>
where
    T: Send,
    E: Send,
    P: FnOnce(&mut Handoff<T>) -> Result<(), E> + Send,
    C: FnMut(Vec<T>) -> Result<(), E>,
{
    let size = size.max(1);
    let (out, batches) = sync_channel(WAITING);
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let mut handoff = Handoff {
                out,
                batch: Vec::with_capacity(size.min(MAX_PREALLOCATED)),
                size,
            };
            let produced = produce(&mut handoff);
            if produced.is_ok() {
                handoff.finish();
            }
            produced
        });
        let consumed = batches.iter().try_for_each(consume);
        drop(batches);
        let produced = producer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        consumed.and(produced)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_once_in_order_in_batches_of_the_size_asked() {
        let mut sizes = Vec::new();
        let mut seen = Vec::new();
        let r: Result<(), ()> = pipelined(
            4,
            |h| {
                (0..10).for_each(|i| {
                    h.push(i);
                });
                Ok(())
            },
            |batch| {
                sizes.push(batch.len());
                seen.extend(batch);
                Ok(())
            },
        );
        assert_eq!(r, Ok(()));
        assert_eq!(sizes, vec![4, 4, 2]);
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn a_failing_consumer_stops_the_producer_and_its_error_wins() {
        let mut pushed = 0;
        let r: Result<(), &str> = pipelined(
            1,
            |h| {
                for i in 0..1_000_000 {
                    pushed = i;
                    if !h.push(i) {
                        return Err("producer stopped");
                    }
                }
                Ok(())
            },
            |_| Err("consumer failed"),
        );
        assert_eq!(r, Err("consumer failed"));
        assert!(pushed < 1_000, "the producer went on to {pushed}");
    }

    #[test]
    fn a_failing_producer_is_reported_after_what_it_handed_over() {
        let mut seen = Vec::new();
        let r: Result<(), &str> = pipelined(
            2,
            |h| {
                for i in 0..5 {
                    h.push(i);
                }
                Err("bad item 5")
            },
            |batch| {
                seen.extend(batch);
                Ok(())
            },
        );
        assert_eq!(r, Err("bad item 5"));
        // Two full batches went over; the fifth item, in a batch not yet
        // full, was not handed over.
        assert_eq!(seen, vec![0, 1, 2, 3]);
    }
}
