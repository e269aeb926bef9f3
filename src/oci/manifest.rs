//! A chart's manifest as the registry sent it, read into the two blobs to fetch (config and chart
//! layer) and checked before a byte of them is downloaded. Pure, so the parsing of untrusted
//! registry answers is fuzzed (`fuzz/fuzz_targets/oci_manifest.rs`) and tested without a registry.

use oci_client::manifest::OciImageManifest;

use super::reference::{self, ChartRef};
use crate::error::{Error, Result};

/// Media type of a Helm chart's config blob.
pub const HELM_CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
/// Media type of a Helm chart's archive layer.
pub const HELM_CHART_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// The layer media type of charts pushed by Helm before 3.7 (still readable).
const LEGACY_CHART_LAYER_MEDIA_TYPE: &str = "application/tar+gzip";
/// Media types of manifest lists: what a registry answers for a multi-platform image.
const INDEX_MEDIA_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// Largest chart config blob fetched (Helm's are a few hundred bytes of Chart.yaml as JSON).
pub const MAX_CONFIG_BLOB: u64 = 1 << 20;
/// Largest chart layer fetched: the tar stream of a chart Helm would load
/// ([`crate::helm::chart::MAX_TAR_STREAM`]), plus gzip's framing of incompressible data.
pub const MAX_CHART_BLOB: u64 =
    crate::helm::chart::MAX_TAR_STREAM + crate::helm::chart::MAX_TAR_STREAM / 64;

/// One blob a manifest names: its verified-later digest and its announced size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
}

/// What a chart's manifest names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartManifest {
    pub config: Blob,
    pub layer: Blob,
}

/// Reads `bytes` (the manifest `digest` of `chart`) as a Helm chart's OCI manifest: config of
/// Helm's media type, a chart layer (Helm's, else the pre-3.7 one), sha256 digests, and sizes
/// within what podnet downloads. Anything else is an error naming the chart and what is wrong.
pub fn parse(bytes: &[u8], chart: &ChartRef, digest: &str) -> Result<ChartManifest> {
    let registry = |message: String, help: Option<&str>| Error::Registry {
        message,
        help: help.map(str::to_string),
    };
    let doc: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        registry(
            format!(
                "the manifest {digest} of {} is not JSON: {e}",
                chart.location()
            ),
            None,
        )
    })?;
    let media_type = doc.get("mediaType").and_then(|m| m.as_str()).unwrap_or("");
    if INDEX_MEDIA_TYPES.contains(&media_type)
        || (doc.get("manifests").is_some() && doc.get("layers").is_none())
    {
        return Err(registry(
            format!(
                "{chart} is an image index (a list of manifests for several platforms), not a Helm chart"
            ),
            Some("point --chart at a chart pushed with helm push"),
        ));
    }
    let manifest: OciImageManifest = serde_json::from_value(doc).map_err(|e| {
        registry(
            format!(
                "the manifest {digest} of {} is not an OCI image manifest: {e}",
                chart.location()
            ),
            None,
        )
    })?;
    if manifest.config.media_type != HELM_CONFIG_MEDIA_TYPE {
        return Err(registry(
            format!(
                "{chart} is not a Helm chart: its config media type is {}, not {HELM_CONFIG_MEDIA_TYPE}",
                manifest.config.media_type
            ),
            Some("point --chart at a chart pushed with helm push"),
        ));
    }
    let layer = manifest
        .layers
        .iter()
        .find(|l| l.media_type == HELM_CHART_LAYER_MEDIA_TYPE)
        .or_else(|| {
            manifest
                .layers
                .iter()
                .find(|l| l.media_type == LEGACY_CHART_LAYER_MEDIA_TYPE)
        })
        .ok_or_else(|| {
            registry(
                format!("{chart} has no chart layer ({HELM_CHART_LAYER_MEDIA_TYPE})"),
                None,
            )
        })?;
    for d in [&manifest.config.digest, &layer.digest] {
        if !reference::valid_digest(d) {
            return Err(registry(
                format!("{chart}: unsupported blob digest {d} (only sha256 is supported)"),
                None,
            ));
        }
    }
    // Announced sizes first: nothing larger than a loadable chart is downloaded at all.
    let sized = |what: &str, size: i64, max: u64| {
        u64::try_from(size)
            .ok()
            .filter(|s| *s <= max)
            .ok_or_else(|| {
                registry(
                    format!(
                        "{chart}: the {what} is announced as {size} bytes; podnet takes at most {max}"
                    ),
                    Some("a Helm chart's archive holds at most 100 MiB of files"),
                )
            })
    };
    Ok(ChartManifest {
        config: Blob {
            digest: manifest.config.digest.clone(),
            size: sized("config", manifest.config.size, MAX_CONFIG_BLOB)?,
        },
        layer: Blob {
            digest: layer.digest.clone(),
            size: sized("chart layer", layer.size, MAX_CHART_BLOB)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chart() -> ChartRef {
        "oci://registry.example/charts/cilium:1.17.18"
            .parse()
            .unwrap()
    }

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn manifest(layer_type: &str, size: i64) -> Vec<u8> {
        json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": HELM_CONFIG_MEDIA_TYPE, "digest": digest('a'), "size": 300},
            "layers": [{"mediaType": layer_type, "digest": digest('b'), "size": size}],
        })
        .to_string()
        .into_bytes()
    }

    fn err(bytes: &[u8]) -> String {
        parse(bytes, &chart(), "sha256:m").unwrap_err().to_string()
    }

    #[test]
    fn reads_helm_and_legacy_chart_layers() {
        let m = parse(&manifest(HELM_CHART_LAYER_MEDIA_TYPE, 5000), &chart(), "d").unwrap();
        assert_eq!(
            m.config,
            Blob {
                digest: digest('a'),
                size: 300
            }
        );
        assert_eq!(
            m.layer,
            Blob {
                digest: digest('b'),
                size: 5000
            }
        );
        let m = parse(&manifest(LEGACY_CHART_LAYER_MEDIA_TYPE, 7), &chart(), "d").unwrap();
        assert_eq!(m.layer.size, 7);
    }

    #[test]
    fn refuses_indexes_other_artifacts_and_oversized_blobs() {
        let index = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest('c'), "size": 1}],
        });
        assert!(err(index.to_string().as_bytes()).contains("is an image index"));
        let mut bare = index.clone();
        bare.as_object_mut().unwrap().remove("mediaType");
        assert!(err(bare.to_string().as_bytes()).contains("is an image index"));
        assert!(err(b"{").contains("is not JSON"));
        assert!(err(b"[]").contains("not an OCI image manifest"));
        assert!(
            err(&manifest("application/vnd.oci.image.layer.v1.tar", 5)).contains("no chart layer")
        );
        let e = err(&manifest(HELM_CHART_LAYER_MEDIA_TYPE, -1));
        assert!(e.contains("announced as -1 bytes"), "{e}");
        let e = err(&manifest(
            HELM_CHART_LAYER_MEDIA_TYPE,
            (MAX_CHART_BLOB + 1) as i64,
        ));
        assert!(e.contains("podnet takes at most"), "{e}");
        let image = String::from_utf8(manifest(HELM_CHART_LAYER_MEDIA_TYPE, 5))
            .unwrap()
            .replace(
                HELM_CONFIG_MEDIA_TYPE,
                "application/vnd.oci.image.config.v1+json",
            );
        assert!(err(image.as_bytes()).contains("is not a Helm chart"));
        let md5 = String::from_utf8(manifest(HELM_CHART_LAYER_MEDIA_TYPE, 5))
            .unwrap()
            .replace(&digest('b'), "md5:abc");
        assert!(err(md5.as_bytes()).contains("unsupported blob digest md5:abc"));
    }
}
