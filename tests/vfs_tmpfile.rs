//! O_TMPFILE files, checked against Linux: the groups of
//! `tests/c/tmpfile.c` (inode numbers and the /proc name of an unnamed file,
//! linking it into place once, the refusals) run natively and under
//! `husk do` and must print the same lines.

mod common;

use common::*;

#[test]
fn tmpfile_is_an_unnamed_inode() {
    check_c_group("tmpfile", "unnamed");
}

#[test]
fn tmpfile_links_into_place_once() {
    check_c_group("tmpfile", "link");
}

#[test]
fn tmpfile_refusals_as_linux() {
    check_c_group("tmpfile", "refusals");
}
