//! Private Amazon ECR: registry credentials from `ecr:GetAuthorizationToken` (standard AWS
//! credential chain, region from the host name), used when no other credentials are configured
//! for an `ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]` host.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use base64::Engine;

use super::auth::Credentials;

/// `(account, region)` of a private ECR registry host (a `:port` is ignored).
pub fn ecr_host(registry: &str) -> Option<(String, String)> {
    let host = match registry.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => registry,
    };
    let host = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if parts.next()? != "dkr" {
        return None;
    }
    if !matches!(parts.next()?, "ecr" | "ecr-fips") {
        return None;
    }
    let region = parts.next()?;
    if parts.next().is_some() || region.is_empty() {
        return None;
    }
    Some((account.to_string(), region.to_string()))
}

/// Credentials for a private ECR host, or `Ok(None)` for other hosts.
pub async fn credentials(registry: &str, timeout: Duration) -> Result<Option<Credentials>, String> {
    let Some((account, region)) = ecr_host(registry) else {
        return Ok(None);
    };
    let cfg = aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new(region.clone()))
        .retry_config(RetryConfig::standard().with_max_attempts(4))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(timeout)
                .operation_attempt_timeout(timeout)
                .build(),
        )
        .load()
        .await;
    let client = aws_sdk_ecr::Client::new(&cfg);
    let out = client
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| {
            format!(
                "ecr:GetAuthorizationToken for {registry} (account {account}, region {region}) failed: {}",
                aws_sdk_ecr::error::DisplayErrorContext(e)
            )
        })?;
    let token = out
        .authorization_data()
        .iter()
        .find_map(|d| d.authorization_token())
        .ok_or_else(|| format!("ecr:GetAuthorizationToken for {registry} returned no token"))?;
    decode_token(token, registry).map(Some)
}

/// `base64("AWS:<password>")` → credentials.
fn decode_token(token: &str, registry: &str) -> Result<Credentials, String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .map_err(|_| format!("the ECR token for {registry} is not base64"))?;
    let text =
        String::from_utf8(raw).map_err(|_| format!("the ECR token for {registry} is not text"))?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| format!("the ECR token for {registry} is not user:password"))?;
    Ok(Credentials {
        username: user.to_string(),
        password: password.to_string(),
        source: "ecr:GetAuthorizationToken".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_private_ecr_hosts() {
        assert_eq!(
            ecr_host("123456789012.dkr.ecr.us-west-2.amazonaws.com"),
            Some(("123456789012".into(), "us-west-2".into()))
        );
        assert_eq!(
            ecr_host("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com:443"),
            Some(("123456789012".into(), "us-gov-west-1".into()))
        );
        assert_eq!(
            ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
            Some(("123456789012".into(), "cn-north-1".into()))
        );
        for other in [
            "public.ecr.aws",
            "12345.dkr.ecr.us-west-2.amazonaws.com",
            "ghcr.io",
            "127.0.0.1:5000",
        ] {
            assert_eq!(ecr_host(other), None, "{other}");
        }
        let c = decode_token("QVdTOnBhc3M6d29yZA==", "h").unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("AWS", "pass:word")
        );
    }
}
