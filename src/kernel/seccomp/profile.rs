//! A container's seccomp profile (OCI `linux.seccomp`), resolved to syscall
//! numbers, and how it decides a syscall: as the filter runc builds with
//! libseccomp would. A rule matches when the syscall is one of its names and
//! every argument condition holds; rules with conditions are tried before
//! rules without, each group in the profile's order; no match gives the
//! default action.

/// A comparison of one 64-bit argument (libseccomp's `SCMP_CMP_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Ne,
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
    /// `arg & value == value_two`.
    MaskedEq,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgCond {
    /// Argument index, 0-5.
    pub index: usize,
    pub op: Cmp,
    pub value: u64,
    pub value_two: u64,
}

impl ArgCond {
    fn holds(&self, args: &[u64; 6]) -> bool {
        let a = args[self.index];
        match self.op {
            Cmp::Ne => a != self.value,
            Cmp::Lt => a < self.value,
            Cmp::Le => a <= self.value,
            Cmp::Eq => a == self.value,
            Cmp::Ge => a >= self.value,
            Cmp::Gt => a > self.value,
            Cmp::MaskedEq => a & self.value == self.value_two,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Syscall numbers (x86_64), sorted: a profile's rule may name hundreds
    /// and is searched at every syscall.
    pub nrs: Vec<u32>,
    /// The filter return value (action and data).
    pub action: u32,
    pub args: Vec<ArgCond>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The filter return value when no rule matches.
    pub default: u32,
    pub rules: Vec<Rule>,
}

impl Profile {
    /// The return value for syscall `nr` with `args`.
    pub fn run(&self, nr: u32, args: &[u64; 6]) -> u32 {
        let for_nr = || self.rules.iter().filter(move |r| r.nrs.binary_search(&nr).is_ok());
        let conditional = for_nr().filter(|r| !r.args.is_empty()).find(|r| r.args.iter().all(|c| c.holds(args)));
        match conditional.or_else(|| for_nr().find(|r| r.args.is_empty())) {
            Some(r) => r.action,
            None => self.default,
        }
    }

    /// What the profile counts for the path limit of a thread's filters.
    pub fn len(&self) -> usize {
        self.rules.iter().map(|r| r.nrs.len() * (1 + r.args.len())).sum::<usize>().max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditional_rules_first_then_plain_then_default() {
        let p = Profile {
            default: 0x0005_0001,
            rules: vec![
                Rule { nrs: vec![1, 2], action: 0x7fff_0000, args: vec![] },
                Rule {
                    nrs: vec![2],
                    action: 0x0005_0026,
                    args: vec![ArgCond { index: 0, op: Cmp::MaskedEq, value: 0xf0, value_two: 0x10 }],
                },
            ],
        };
        assert_eq!(p.run(1, &[0; 6]), 0x7fff_0000);
        assert_eq!(p.run(2, &[0x1f, 0, 0, 0, 0, 0]), 0x0005_0026);
        assert_eq!(p.run(2, &[0x2f, 0, 0, 0, 0, 0]), 0x7fff_0000);
        assert_eq!(p.run(3, &[0; 6]), 0x0005_0001);
    }
}
