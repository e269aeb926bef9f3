//! Generated EKS-like clusters.

use crate::store::Store;

pub fn generate(_st: &mut Store, _spec: &str) -> Result<(), String> {
    Ok(())
}
