//! Bundles and their lineage: the outputs of the modules a bundle went
//! through, shared between sibling bundles (a persistent list), which is
//! what a module's references (`{{2.x}}`) resolve against.

use std::sync::Arc;

use serde_json::Value;

use crate::iml::Outputs;

struct Link {
    module: i64,
    output: Value,
    parent: Option<Arc<Link>>,
}

/// One bundle on its way through the flow.
#[derive(Clone, Default)]
pub(crate) struct Bundle {
    lineage: Option<Arc<Link>>,
    /// Choices made at multi-bundle modules (`/3.2/7.1`); see `ResumeState`.
    pub path: Arc<str>,
}

impl Bundle {
    /// This bundle after `module` produced `output`; `branch` (1-based) for
    /// modules that emit several bundles.
    pub fn with(&self, module: i64, output: Value, branch: Option<usize>) -> Bundle {
        let path = match branch {
            Some(k) => Arc::from(format!("{}/{module}.{k}", self.path)),
            None => self.path.clone(),
        };
        Bundle {
            lineage: Some(Arc::new(Link {
                module,
                output,
                parent: self.lineage.clone(),
            })),
            path,
        }
    }
}

impl Outputs for Bundle {
    fn output(&self, module: i64) -> Option<&Value> {
        let mut link = self.lineage.as_deref();
        while let Some(current) = link {
            if current.module == module {
                return Some(&current.output);
            }
            link = current.parent.as_deref();
        }
        None
    }
}

impl Drop for Link {
    /// Unlinks iteratively so a long lineage cannot overflow the stack.
    fn drop(&mut self) {
        let mut parent = self.parent.take();
        while let Some(link) = parent {
            match Arc::try_unwrap(link) {
                Ok(mut owned) => parent = owned.parent.take(),
                Err(_) => break,
            }
        }
    }
}
