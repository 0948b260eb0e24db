//! `[packages]` and `[network]`: how Python dependencies are installed
//! (contract section 10) and which destinations runs may reach through
//! runbox's proxy (section 11), resolved from `RUNBOX_PACKAGES_*` /
//! `RUNBOX_NETWORK_ALLOW`, the file and defaults.
//!
//! Without runbox settings, the index and find-links default to the
//! installer's own environment variables (`UV_INDEX_URL`, `PIP_INDEX_URL`,
//! `UV_FIND_LINKS`, `PIP_FIND_LINKS`), then to PyPI: runbox must know the
//! index to let the installer's proxy reach exactly its hosts.

use std::path::PathBuf;
use std::time::Duration;

use runbox_domain::Destination;

use crate::file::{NetworkFile, PackagesFile};
use crate::validate::{bound, Checker};
use crate::{vars, Overrides};

/// The index used when nothing names one.
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple";

/// Which program installs dependencies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallerChoice {
    /// uv when found, else the sandbox Python's pip.
    Auto,
    Uv,
    Pip,
}

impl std::str::FromStr for InstallerChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "auto" => Ok(Self::Auto),
            "uv" => Ok(Self::Uv),
            "pip" => Ok(Self::Pip),
            other => Err(format!(
                "must be \"auto\", \"uv\" or \"pip\", got {other:?}"
            )),
        }
    }
}

/// `[packages]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageSettings {
    /// Runs that declare dependencies fail when false.
    pub enabled: bool,
    /// The PEP 503 simple index.
    pub index_url: String,
    /// A directory of wheels or a URL, searched besides the index.
    pub find_links: Option<String>,
    /// Only `find_links` is used.
    pub no_index: bool,
    /// Allow source distributions (whose build code then runs, sandboxed).
    pub allow_sdist: bool,
    /// Bound on one installation; not counted against the run's timeout.
    pub install_timeout: Duration,
    /// Environments beyond this size are removed, least recently used first.
    pub cache_mb: u64,
    pub installer: InstallerChoice,
    /// The uv binary; `None`: looked up on `PATH`.
    pub uv: Option<PathBuf>,
}

impl Default for PackageSettings {
    fn default() -> Self {
        PackageSettings {
            enabled: true,
            index_url: DEFAULT_INDEX_URL.to_owned(),
            find_links: None,
            no_index: false,
            allow_sdist: false,
            install_timeout: Duration::from_secs(300),
            cache_mb: 4096,
            installer: InstallerChoice::Auto,
            uv: None,
        }
    }
}

/// `RUNBOX_PACKAGES_*`, plus the installers' own index variables.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PackageOverrides {
    pub enabled: Option<bool>,
    pub index_url: Option<String>,
    pub find_links: Option<String>,
    pub no_index: Option<bool>,
    pub allow_sdist: Option<bool>,
    pub install_timeout: Option<u64>,
    pub cache_mb: Option<u64>,
    pub installer: Option<InstallerChoice>,
    pub uv: Option<PathBuf>,
    /// `UV_INDEX_URL`, else `PIP_INDEX_URL`.
    pub installer_index_url: Option<String>,
    /// `UV_FIND_LINKS`, else `PIP_FIND_LINKS`.
    pub installer_find_links: Option<String>,
}

impl PackageOverrides {
    pub(crate) fn or(self, lower: PackageOverrides) -> PackageOverrides {
        PackageOverrides {
            enabled: self.enabled.or(lower.enabled),
            index_url: self.index_url.or(lower.index_url),
            find_links: self.find_links.or(lower.find_links),
            no_index: self.no_index.or(lower.no_index),
            allow_sdist: self.allow_sdist.or(lower.allow_sdist),
            install_timeout: self.install_timeout.or(lower.install_timeout),
            cache_mb: self.cache_mb.or(lower.cache_mb),
            installer: self.installer.or(lower.installer),
            uv: self.uv.or(lower.uv),
            installer_index_url: self.installer_index_url.or(lower.installer_index_url),
            installer_find_links: self.installer_find_links.or(lower.installer_find_links),
        }
    }
}

/// `[network]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkSettings {
    /// What runs may ask to reach. Empty: no run may have network.
    pub allow: Vec<Destination>,
}

pub(crate) fn resolve_packages(
    check: &mut Checker<'_>,
    o: &Overrides,
    f: &PackagesFile,
) -> PackageSettings {
    let d = PackageSettings::default();
    let p = &o.packages;
    let flag = |over: Option<bool>, file: &Option<toml::Spanned<bool>>, default: bool| {
        over.or(file.as_ref().map(|v| *v.get_ref()))
            .unwrap_or(default)
    };
    let text = |check: &mut Checker<'_>,
                key: &str,
                over: &Option<String>,
                file: &Option<toml::Spanned<String>>,
                parse: fn(&str) -> Result<String, String>| match (over, file) {
        (Some(value), _) => Some(value.clone()),
        (None, Some(value)) => check.parse_in_file(key, value, parse),
        (None, None) => None,
    };
    let index_url = text(
        check,
        "packages.index_url",
        &p.index_url,
        &f.index_url,
        check_index_url,
    )
    .or_else(|| {
        p.installer_index_url
            .clone()
            .filter(|url| check_index_url(url).is_ok())
    })
    .unwrap_or(d.index_url);
    let find_links = text(
        check,
        "packages.find_links",
        &p.find_links,
        &f.find_links,
        check_find_links,
    )
    .or_else(|| p.installer_find_links.clone());
    let installer = match (p.installer, &f.installer) {
        (Some(choice), _) => choice,
        (None, Some(value)) => check
            .parse_in_file("packages.installer", value, |t| t.parse())
            .unwrap_or(d.installer),
        (None, None) => d.installer,
    };
    let uv = match (&p.uv, &f.uv) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(value)) => Some(PathBuf::from(value.get_ref())),
        (None, None) => None,
    };
    let install_timeout = check.number_u64(
        bound(
            "packages.install_timeout",
            vars::PACKAGES_INSTALL_TIMEOUT,
            1,
            86_400,
        ),
        p.install_timeout,
        f.install_timeout.as_ref(),
        d.install_timeout.as_secs(),
    );
    let cache_mb = check.number_u64(
        bound(
            "packages.cache_mb",
            vars::PACKAGES_CACHE_MB,
            1,
            16 * 1024 * 1024,
        ),
        p.cache_mb,
        f.cache_mb.as_ref(),
        d.cache_mb,
    );
    PackageSettings {
        enabled: flag(p.enabled, &f.enabled, d.enabled),
        index_url,
        find_links,
        no_index: flag(p.no_index, &f.no_index, d.no_index),
        allow_sdist: flag(p.allow_sdist, &f.allow_sdist, d.allow_sdist),
        install_timeout: Duration::from_secs(install_timeout),
        cache_mb,
        installer,
        uv,
    }
}

/// An http(s) URL (its host is what the installer's proxy lets through).
pub(crate) fn check_index_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("must be an http:// or https:// URL, got {text:?}"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("names no host: {text:?}"));
    }
    Ok(text.to_owned())
}

/// An http(s) URL or an absolute directory.
pub(crate) fn check_find_links(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.starts_with('/') {
        return Ok(text.to_owned());
    }
    check_index_url(text)
        .map_err(|_| format!("must be an absolute directory or an http(s) URL, got {text:?}"))
}

pub(crate) fn resolve_network(
    check: &mut Checker<'_>,
    o: &Overrides,
    f: &NetworkFile,
) -> NetworkSettings {
    if let Some(allow) = &o.network_allow {
        return NetworkSettings {
            allow: allow.clone(),
        };
    }
    let allow = f
        .allow
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, entry)| {
            check.parse_in_file(format!("network.allow[{i}]"), entry, |text| {
                text.parse::<Destination>().map_err(|e| e.reason)
            })
        })
        .collect();
    NetworkSettings { allow }
}
