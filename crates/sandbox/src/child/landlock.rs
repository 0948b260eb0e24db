//! Landlock: a second filesystem layer under the private root. Even if a
//! mount were somehow reachable, the program may only read and execute the
//! system directories and write its scratch space. It also may not signal
//! or reach abstract Unix sockets outside its own sandbox.

use landlock::{
    path_beneath_rules, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus,
    Scope, ABI,
};

use crate::WORK_DIR;

/// The newest ABI this policy was written and tested against; older kernels
/// get the subset they support (best effort), newer ones nothing unknown.
const TESTED_ABI: ABI = ABI::V6;

pub(crate) fn restrict(
    read_only: &[std::path::PathBuf],
    binds: &[crate::binds::DetachedBind],
) -> Result<&'static str, String> {
    let abi = TESTED_ABI;
    let fail = |e: landlock::RulesetError| format!("landlock: {e}");
    let mut readable: Vec<std::path::PathBuf> = read_only.to_vec();
    readable.extend(["/runbox", "/proc", "/dev"].map(std::path::PathBuf::from));
    let (writable, read_only_binds): (Vec<_>, Vec<_>) = binds.iter().partition(|b| b.writable);
    readable.extend(
        read_only_binds
            .iter()
            .map(|b| std::path::PathBuf::from(&b.target)),
    );
    let writable: Vec<std::path::PathBuf> = writable
        .iter()
        .map(|b| std::path::PathBuf::from(&b.target))
        .collect();
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .map_err(fail)?
        .scope(Scope::from_all(abi))
        .map_err(fail)?
        .create()
        .map_err(fail)?
        .add_rules(path_beneath_rules(&readable, AccessFs::from_read(abi)))
        .map_err(fail)?
        // Listing directories anywhere is harmless: the root holds nothing
        // but what was placed there.
        .add_rules(path_beneath_rules(["/"], AccessFs::ReadDir))
        .map_err(fail)?
        .add_rules(path_beneath_rules(
            [
                WORK_DIR,
                "/tmp",
                "/dev/shm",
                "/dev/null",
                "/dev/zero",
                "/dev/full",
                "/dev/tty",
            ],
            AccessFs::from_all(abi),
        ))
        .map_err(fail)?
        .add_rules(path_beneath_rules(&writable, AccessFs::from_all(abi)))
        .map_err(fail)?
        .restrict_self()
        .map_err(fail)?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => "landlock (fully enforced)",
        RulesetStatus::PartiallyEnforced => "landlock (partially enforced)",
        RulesetStatus::NotEnforced => "landlock (not supported by this kernel)",
    })
}
