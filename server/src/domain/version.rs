//! Kubernetes versions as ordered values, and the upgrade rules between them.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A Kubernetes release `MAJOR.MINOR.PATCH` (Scaleway names them without a leading "v").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl KubeVersion {
    pub fn new(major: u32, minor: u32, patch: u32) -> KubeVersion {
        KubeVersion {
            major,
            minor,
            patch,
        }
    }

    /// `1.31.x` → `1.31`.
    pub fn minor_name(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    pub fn same_minor(&self, other: &KubeVersion) -> bool {
        self.major == other.major && self.minor == other.minor
    }

    /// True when `self` is in the minor right after `other`'s (1.32.x after 1.31.y).
    pub fn is_next_minor_of(&self, other: &KubeVersion) -> bool {
        self.major == other.major && self.minor == other.minor + 1
    }

    /// The upgrade rule: a newer patch of the same minor, or any patch of the next minor.
    pub fn can_upgrade_to(&self, target: &KubeVersion) -> Result<(), UpgradeRefusal> {
        if target == self {
            return Err(UpgradeRefusal::SameVersion);
        }
        if target < self {
            return Err(UpgradeRefusal::Downgrade);
        }
        if target.same_minor(self) || target.is_next_minor_of(self) {
            Ok(())
        } else {
            Err(UpgradeRefusal::SkipsMinor)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpgradeRefusal {
    SameVersion,
    Downgrade,
    SkipsMinor,
}

impl Ord for KubeVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch))
    }
}

impl PartialOrd for KubeVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Kubernetes version: expected MAJOR.MINOR.PATCH, e.g. 1.31.2")]
pub struct NotAVersion(pub String);

impl FromStr for KubeVersion {
    type Err = NotAVersion;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim().trim_start_matches('v');
        let parts: Vec<&str> = trimmed.split('.').collect();
        let number = |part: &str| -> Result<u32, NotAVersion> {
            if part.is_empty() || part.len() > 4 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(NotAVersion(text.to_string()));
            }
            part.parse().map_err(|_| NotAVersion(text.to_string()))
        };
        match parts.as_slice() {
            [major, minor, patch] => Ok(KubeVersion::new(
                number(major)?,
                number(minor)?,
                number(patch)?,
            )),
            _ => Err(NotAVersion(text.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> KubeVersion {
        text.parse().expect("valid version")
    }

    #[test]
    fn versions_parse_and_order_numerically() {
        assert_eq!(v("1.31.2"), KubeVersion::new(1, 31, 2));
        assert_eq!(v("v1.30.10"), KubeVersion::new(1, 30, 10));
        assert!(v("1.30.10") > v("1.30.9"));
        assert!(v("1.31.0") > v("1.30.10"));
        for bad in [
            "",
            "1.31",
            "1.31.x",
            "1..2",
            "one.two.three",
            "1.31.2.4",
            "1.31.-1",
        ] {
            assert!(
                bad.parse::<KubeVersion>().is_err(),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn upgrades_go_to_a_newer_patch_or_the_next_minor_only() {
        assert_eq!(v("1.30.2").can_upgrade_to(&v("1.30.5")), Ok(()));
        assert_eq!(v("1.30.2").can_upgrade_to(&v("1.31.0")), Ok(()));
        assert_eq!(v("1.30.2").can_upgrade_to(&v("1.31.7")), Ok(()));
        assert_eq!(
            v("1.30.2").can_upgrade_to(&v("1.30.2")),
            Err(UpgradeRefusal::SameVersion)
        );
        assert_eq!(
            v("1.30.2").can_upgrade_to(&v("1.30.1")),
            Err(UpgradeRefusal::Downgrade)
        );
        assert_eq!(
            v("1.30.2").can_upgrade_to(&v("1.29.9")),
            Err(UpgradeRefusal::Downgrade)
        );
        assert_eq!(
            v("1.30.2").can_upgrade_to(&v("1.32.0")),
            Err(UpgradeRefusal::SkipsMinor)
        );
    }
}
