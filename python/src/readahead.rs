//! Read-ahead for ids asked for one at a time in order.
//!
//! One record alone costs a full hash chain and Mersenne Twister seeding on one core,
//! about 1,250 dependent steps (the floor of a single call). When a thread asks for
//! ids in order (`for i in range(n): gen_augmentation_params(i, cfg)`, the reference's
//! streams, a DataLoader without shuffling), the next ids are computed together by
//! dpa's SIMD block kernel, whose lanes run those chains side by side, and kept for
//! the calls that follow. The block starts at 8 ids and doubles up to 64 while the
//! calls stay in order; any other id is computed alone, as before. Values are the same
//! either way: the block kernel and the one-sample path are checked against each other
//! and against the reference.

use std::cell::RefCell;
use std::sync::Arc;

use dpa::{Generator, Params, Seeding};

const FIRST_BLOCK: usize = 8;
const MAX_BLOCK: usize = dpa::kernel::LANES;

/// What this thread computed last.
struct Ahead {
    generator: Option<Arc<Generator>>,
    seeding: Seeding,
    /// The id asked for last.
    last: Option<u64>,
    /// Records of the ids `first ..`, computed ahead.
    first: u64,
    block: Vec<Params>,
    /// The size of the next block.
    size: usize,
}

thread_local! {
    static AHEAD: RefCell<Ahead> = const {
        RefCell::new(Ahead {
            generator: None,
            seeding: Seeding::Plain,
            last: None,
            first: 0,
            block: Vec::new(),
            size: FIRST_BLOCK,
        })
    };
}

impl Ahead {
    fn same(&self, g: &Arc<Generator>, seeding: Seeding) -> bool {
        self.seeding == seeding && self.generator.as_ref().is_some_and(|h| Arc::ptr_eq(h, g))
    }

    fn cached(&self, id: u64) -> Option<Params> {
        let offset = usize::try_from(id.checked_sub(self.first)?).ok()?;
        self.block.get(offset).cloned()
    }

    /// Computes the block starting at `id`, when the ids fit in `u64`.
    fn refill(&mut self, g: &Generator, seeding: Seeding, id: u64) -> Option<Params> {
        let size = self.size;
        dpa::id_range(id, size as u64).ok()?;
        self.block.resize(size, Params::default());
        g.fill(seeding, id, &mut self.block).ok()?;
        self.first = id;
        self.size = (size * 2).min(MAX_BLOCK);
        self.block.first().cloned()
    }

    fn get(&mut self, g: &Arc<Generator>, seeding: Seeding, id: u64) -> Params {
        if !self.same(g, seeding) {
            self.generator = Some(g.clone());
            self.seeding = seeding;
            self.last = None;
            self.block.clear();
        }
        let in_order = self.last.and_then(|l| l.checked_add(1)) == Some(id);
        self.last = Some(id);
        if let Some(p) = self.cached(id) {
            return p;
        }
        if in_order {
            if let Some(p) = self.refill(g, seeding, id) {
                return p;
            }
        }
        self.size = FIRST_BLOCK;
        self.block.clear();
        g.generate(seeding, id)
    }
}

/// The record of `id` under `seeding`, from this thread's read-ahead when it has it.
pub fn params(g: &Arc<Generator>, seeding: Seeding, id: u64) -> Params {
    AHEAD.with_borrow_mut(|a| a.get(g, seeding, id))
}
