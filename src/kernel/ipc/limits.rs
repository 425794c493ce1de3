//! The tunable IPC limits of one IPC namespace, as Linux keeps them per
//! namespace (`/proc/sys/kernel/{shmmax,shmall,shmmni,sem,msgmax,msgmnb,msgmni}`,
//! `/proc/sys/fs/mqueue/{queues_max,msg_max,msgsize_max,msg_default,msgsize_default}`).
//! A new namespace starts with Linux's defaults; a write applies to later
//! calls in that namespace. As in Linux the files are mode 0644, so the
//! sandbox's root may write them (Linux: the root of the user namespace
//! that owns the IPC namespace).

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use super::mqueue::{self, Attr};
use super::{msg, sem, shm, IPCMNI};
use crate::kernel::errno::Errno;

/// The limits of one namespace. Each is read when a call needs it.
pub struct IpcLimits {
    pub shmmax: AtomicU64,
    pub shmall: AtomicU64,
    pub shmmni: AtomicI32,
    /// semmsl, semmns, semopm, semmni.
    pub sem: [AtomicI32; 4],
    pub msgmax: AtomicI32,
    pub msgmnb: AtomicI32,
    pub msgmni: AtomicI32,
    /// POSIX queues: most queues, the largest and default maxmsg and msgsize.
    pub mq: [AtomicI32; 5],
}

/// The slots of `IpcLimits::mq`.
const MQ_QUEUES_MAX: usize = 0;
const MQ_MSG_MAX: usize = 1;
const MQ_MSGSIZE_MAX: usize = 2;
const MQ_MSG_DEFAULT: usize = 3;
const MQ_MSGSIZE_DEFAULT: usize = 4;

impl Default for IpcLimits {
    fn default() -> Self {
        IpcLimits {
            shmmax: AtomicU64::new(shm::SHMMAX),
            shmall: AtomicU64::new(shm::SHMALL),
            shmmni: AtomicI32::new(shm::SHMMNI as i32),
            sem: [
                AtomicI32::new(sem::SEMMSL as i32),
                AtomicI32::new(sem::SEMMNS as i32),
                AtomicI32::new(sem::SEMOPM as i32),
                AtomicI32::new(sem::SEMMNI as i32),
            ],
            msgmax: AtomicI32::new(msg::MSGMAX),
            msgmnb: AtomicI32::new(msg::MSGMNB),
            msgmni: AtomicI32::new(msg::MSGMNI),
            mq: [
                mqueue::DFLT_QUEUESMAX,
                mqueue::DFLT_MSGMAX,
                mqueue::DFLT_MSGSIZEMAX,
                mqueue::DFLT_MSGMAX,
                mqueue::DFLT_MSGSIZEMAX,
            ]
            .map(|v| AtomicI32::new(v as i32)),
        }
    }
}

/// Reads one int limit.
pub fn get(v: &AtomicI32) -> i32 {
    v.load(Ordering::Relaxed)
}

/// Reads one int limit that counts something (never below 0).
pub fn count(v: &AtomicI32) -> usize {
    v.load(Ordering::Relaxed).max(0) as usize
}

/// Reads one unsigned long limit.
pub fn get_u64(v: &AtomicU64) -> u64 {
    v.load(Ordering::Relaxed)
}

/// One file of `/proc/sys/kernel` an IPC namespace answers.
#[derive(Clone, Copy, Debug)]
pub enum Tunable {
    ShmMax,
    ShmAll,
    ShmMni,
    Sem,
    MsgMax,
    MsgMnb,
    MsgMni,
    /// `/proc/sys/fs/mqueue/*`, by slot of `IpcLimits::mq`.
    MqQueuesMax,
    MqMsgMax,
    MqMsgsizeMax,
    MqMsgDefault,
    MqMsgsizeDefault,
}

/// The numbers of a sysctl write (Linux's proc_dointvec: integers
/// separated by white space).
fn numbers(data: &[u8]) -> Result<Vec<i128>, Errno> {
    let text = std::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
    let v: Vec<i128> =
        text.split_ascii_whitespace().map(|w| w.parse().map_err(|_| Errno::EINVAL)).collect::<Result<_, _>>()?;
    if v.is_empty() {
        return Err(Errno::EINVAL);
    }
    Ok(v)
}

/// An int in `lo..=hi` (proc_dointvec_minmax: EINVAL outside).
fn int_in(v: i128, lo: i32, hi: i32) -> Result<i32, Errno> {
    i32::try_from(v).ok().filter(|v| (lo..=hi).contains(v)).ok_or(Errno::EINVAL)
}

impl IpcLimits {
    /// The attributes of a queue made without any (mq_open without attr,
    /// open(O_CREAT) in the file system).
    pub fn mq_default_attr(&self) -> Attr {
        let g = |i: usize| get(&self.mq[i]) as i64;
        Attr { maxmsg: g(MQ_MSG_MAX).min(g(MQ_MSG_DEFAULT)), msgsize: g(MQ_MSGSIZE_MAX).min(g(MQ_MSGSIZE_DEFAULT)) }
    }

    /// queues_max.
    pub fn mq_queues_max(&self) -> i64 {
        get(&self.mq[MQ_QUEUES_MAX]) as i64
    }

    /// msg_max.
    pub fn mq_msg_max(&self) -> i64 {
        get(&self.mq[MQ_MSG_MAX]) as i64
    }

    /// msgsize_max.
    pub fn mq_msgsize_max(&self) -> i64 {
        get(&self.mq[MQ_MSGSIZE_MAX]) as i64
    }

    /// The file's text.
    pub fn show(&self, t: Tunable) -> String {
        match t {
            Tunable::ShmMax => format!("{}\n", get_u64(&self.shmmax)),
            Tunable::ShmAll => format!("{}\n", get_u64(&self.shmall)),
            Tunable::ShmMni => format!("{}\n", get(&self.shmmni)),
            Tunable::Sem => {
                let [a, b, c, d] = self.sem.each_ref().map(get);
                format!("{a}\t{b}\t{c}\t{d}\n")
            }
            Tunable::MsgMax => format!("{}\n", get(&self.msgmax)),
            Tunable::MsgMnb => format!("{}\n", get(&self.msgmnb)),
            Tunable::MsgMni => format!("{}\n", get(&self.msgmni)),
            Tunable::MqQueuesMax => format!("{}\n", get(&self.mq[MQ_QUEUES_MAX])),
            Tunable::MqMsgMax => format!("{}\n", get(&self.mq[MQ_MSG_MAX])),
            Tunable::MqMsgsizeMax => format!("{}\n", get(&self.mq[MQ_MSGSIZE_MAX])),
            Tunable::MqMsgDefault => format!("{}\n", get(&self.mq[MQ_MSG_DEFAULT])),
            Tunable::MqMsgsizeDefault => format!("{}\n", get(&self.mq[MQ_MSGSIZE_DEFAULT])),
        }
    }

    /// A write to the file, with Linux's bounds: the msg limits 0..INT_MAX,
    /// the mqueue ones 1..65536 messages and 128..16 MiB bytes,
    /// shmmni 0..IPCMNI, shmmax and shmall any unsigned long (a negative
    /// number is skipped, as proc_doulongvec_minmax skips it), `sem` up to
    /// four ints with semmni 0..IPCMNI (ERANGE).
    pub fn store(&self, t: Tunable, data: &[u8]) -> Result<(), Errno> {
        let v = numbers(data)?;
        let first = v[0];
        let int = |v: &AtomicI32, lo, hi| -> Result<(), Errno> {
            v.store(int_in(first, lo, hi)?, Ordering::Relaxed);
            Ok(())
        };
        let ulong = |v: &AtomicU64| -> Result<(), Errno> {
            if first >= 0 {
                v.store(u64::try_from(first).map_err(|_| Errno::EINVAL)?, Ordering::Relaxed);
            }
            Ok(())
        };
        match t {
            Tunable::ShmMax => ulong(&self.shmmax),
            Tunable::ShmAll => ulong(&self.shmall),
            Tunable::ShmMni => int(&self.shmmni, 0, IPCMNI as i32),
            Tunable::MsgMax => int(&self.msgmax, 0, i32::MAX),
            Tunable::MsgMnb => int(&self.msgmnb, 0, i32::MAX),
            Tunable::MsgMni => int(&self.msgmni, 0, i32::MAX),
            Tunable::MqQueuesMax => int(&self.mq[MQ_QUEUES_MAX], i32::MIN, i32::MAX),
            Tunable::MqMsgMax | Tunable::MqMsgDefault => {
                let slot = if matches!(t, Tunable::MqMsgMax) { MQ_MSG_MAX } else { MQ_MSG_DEFAULT };
                int(&self.mq[slot], mqueue::MIN_MSGMAX as i32, mqueue::HARD_MSGMAX as i32)
            }
            Tunable::MqMsgsizeMax | Tunable::MqMsgsizeDefault => {
                let slot = if matches!(t, Tunable::MqMsgsizeMax) { MQ_MSGSIZE_MAX } else { MQ_MSGSIZE_DEFAULT };
                int(&self.mq[slot], mqueue::MIN_MSGSIZEMAX as i32, mqueue::HARD_MSGSIZEMAX as i32)
            }
            Tunable::Sem => {
                let vals: Vec<i32> =
                    v.iter().take(4).map(|&n| i32::try_from(n).map_err(|_| Errno::EINVAL)).collect::<Result<_, _>>()?;
                if vals.len() == 4 && !(0..=IPCMNI as i32).contains(&vals[3]) {
                    // Linux writes the others and puts semmni back.
                    for (slot, n) in self.sem.iter().zip(&vals[..3]) {
                        slot.store(*n, Ordering::Relaxed);
                    }
                    return Err(Errno::ERANGE);
                }
                for (slot, n) in self.sem.iter().zip(&vals) {
                    slot.store(*n, Ordering::Relaxed);
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_keep_linux_bounds() {
        let l = IpcLimits::default();
        assert_eq!(l.show(Tunable::Sem), "32000\t1024000000\t500\t32000\n");
        l.store(Tunable::MsgMax, b"100\n").unwrap();
        assert_eq!(l.show(Tunable::MsgMax), "100\n");
        assert_eq!(l.store(Tunable::MsgMax, b"-1"), Err(Errno::EINVAL));
        assert_eq!(l.store(Tunable::MsgMax, b"abc"), Err(Errno::EINVAL));
        assert_eq!(l.store(Tunable::ShmMni, b"40000"), Err(Errno::EINVAL));
        l.store(Tunable::ShmMax, b"-5").unwrap();
        assert_eq!(get_u64(&l.shmmax), shm::SHMMAX);
        l.store(Tunable::Sem, b"250 32000 32 128").unwrap();
        assert_eq!(l.show(Tunable::Sem), "250\t32000\t32\t128\n");
        assert_eq!(l.store(Tunable::Sem, b"1 2 3 99999"), Err(Errno::ERANGE));
        assert_eq!(l.show(Tunable::Sem), "1\t2\t3\t128\n");
    }
}
