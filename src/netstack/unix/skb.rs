//! What a queued AF_UNIX message costs its sender, in Linux's terms: each
//! send makes socket buffers (sk_buffs) whose `truesize` (the skb itself,
//! its kmalloc'ed head rounded up to the allocator's bucket, and any page
//! fragments) counts against the sender's SO_SNDBUF until the receiver
//! consumes them. A one-byte or even an empty datagram costs 768 bytes, so
//! 278 of them fill the default buffer; without this an application could
//! queue millions of empty datagrams in the sentry's memory.
//!
//! The constants are x86_64 Linux 6.x's; the results match what a native
//! sender sees through SIOCOUTQ (see the tests below).

/// `SKB_DATA_ALIGN(sizeof(struct sk_buff))`.
const SKB_STRUCT: usize = 256;
/// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`, at the end of every head.
const SHARED_INFO: usize = 320;
const PAGE: usize = 4096;
/// `SKB_MAX_HEAD(0)`: the largest head of one page.
const MAX_HEAD: usize = PAGE - SHARED_INFO;
/// `SKB_MAX_ALLOC`: a datagram's head is at most an order-2 allocation.
const MAX_ALLOC: usize = 4 * PAGE - SHARED_INFO;
/// `UNIX_SKB_FRAGS_SZ`: page fragments a stream skb carries at most.
const STREAM_FRAGS: usize = 32768;
/// The most one stream skb carries.
pub const STREAM_SKB_MAX: usize = MAX_HEAD + STREAM_FRAGS;
/// `MAX_SKB_FRAGS` pages: a datagram's fragments at most.
const MAX_FRAGS: usize = 17 * PAGE;

fn page_align(n: usize) -> usize {
    n.next_multiple_of(PAGE)
}

/// The truesize of an skb with a `linear` byte head and `paged` bytes in
/// page fragments: kmalloc rounds the head up to a power of two (every
/// head is above the small buckets), fragments take whole pages.
fn truesize(linear: usize, paged: usize) -> usize {
    (linear.next_multiple_of(64) + SHARED_INFO).next_power_of_two() + SKB_STRUCT + page_align(paged)
}

/// The truesize of one datagram (or seqpacket record) of `len` bytes
/// (`unix_dgram_sendmsg`: beyond an order-2 head the rest goes to pages).
pub fn dgram_truesize(len: usize) -> usize {
    let paged = if len > MAX_ALLOC { page_align((len - MAX_ALLOC).min(MAX_FRAGS)) } else { 0 };
    truesize(len - paged, paged)
}

/// The next skb of a stream send with `remaining` bytes left and a send
/// buffer of `sndbuf`: how many bytes it carries and its truesize
/// (`unix_stream_sendmsg`).
pub fn stream_skb(remaining: usize, sndbuf: usize) -> (usize, usize) {
    let size = remaining.min((sndbuf / 2).saturating_sub(64).max(1)).min(STREAM_SKB_MAX);
    let paged = size.min(page_align(size.saturating_sub(MAX_HEAD)));
    (size, truesize(size - paged, paged))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNDBUF: usize = 212_992;

    /// How many sends of `len` bytes fit in the default buffer: a send
    /// goes ahead while the charge is below it.
    fn fits(cost: usize) -> usize {
        SNDBUF.div_ceil(cost)
    }

    #[test]
    fn datagram_counts_match_linux() {
        // Measured natively (Linux 6.18): sends until EAGAIN on a socketpair.
        for (len, n) in [(0, 278), (100, 278), (192, 278), (200, 167), (512, 167), (1000, 93), (1024, 93)] {
            assert_eq!(fits(dgram_truesize(len)), n, "len {len}");
        }
        for (len, n) in [(2000, 49), (3000, 49), (4000, 26), (8000, 13), (16000, 13), (60000, 4), (100000, 3)] {
            assert_eq!(fits(dgram_truesize(len)), n, "len {len}");
        }
        // SIOCOUTQ after one datagram.
        assert_eq!(dgram_truesize(1), 768);
        assert_eq!(dgram_truesize(1000), 2304);
        assert_eq!(dgram_truesize(5000), 8448);
    }

    #[test]
    fn stream_skbs_match_linux() {
        assert_eq!(stream_skb(1, SNDBUF), (1, 768));
        assert_eq!(stream_skb(1000, SNDBUF), (1000, 2304));
        assert_eq!(stream_skb(4000, SNDBUF), (4000, 4864));
        assert_eq!(stream_skb(5000, SNDBUF), (5000, 6400));
        // A large send goes in skbs of 36544 bytes.
        assert_eq!(stream_skb(300_000, SNDBUF), (36544, 37120));
        for (len, n) in [(1, 278), (4000, 44), (8000, 24), (16000, 13)] {
            assert_eq!(fits(stream_skb(len, SNDBUF).1), n, "len {len}");
        }
    }
}
