//! `iamspect serve`: the JSON decision API over HTTP (`crates/iamspect-server`), STS, and with
//! `--gateway` an IAM gateway in front of a loopback emulator.
//!
//! Exit codes: 0 after a graceful shutdown (Ctrl-C, SIGTERM); 2 when any account data file fails
//! to load (each one named with its path and line; `--allow-partial` serves the rest), the
//! `--message-key` file holds no key, or the address cannot be bound.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{BAD_INPUT, SUCCESS};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The address to listen on. The API authenticates no one: keep it on loopback.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Account data (get-account-authorization-details dumps, an organization file, resource
    /// policies; files or folders): `/v1/authorize` and `/v1/explain` then also take requests
    /// without policies. Reloaded on SIGHUP and `POST /v1/reload`.
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',')]
    account_data: Vec<PathBuf>,
    /// Serve the account data files that load when some fail, instead of refusing (at start) or
    /// keeping the previous data (on reload). Decisions then lack whatever the failed files held,
    /// Denies included: every file left out is logged at ERROR and `/healthz` says `partial`.
    #[arg(long, requires = "account_data")]
    allow_partial: bool,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    body_limit: usize,
    /// How long a request may take, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Long-term access keys the STS endpoint (`POST /`) accepts: a JSON list of
    /// `{"accessKeyId", "secretAccessKey", "principal"}` (an IAM user or root ARN).
    #[arg(long, value_name = "FILE")]
    credentials: Option<PathBuf>,
    /// The most temporary credentials (from STS `AssumeRole` and `GetSessionToken`) live at once.
    /// Past it, STS refuses to issue more (`ServiceUnavailable`) until some expire; expired ones
    /// are dropped an hour after their expiry.
    #[arg(long, value_name = "N", default_value_t = iamspect_server::sts::DEFAULT_MAX_SESSIONS)]
    max_sessions: usize,
    /// The key that seals the encoded authorization messages of gateway denials, so that only
    /// STS `DecodeAuthorizationMessage` and `iamspect explain --encoded TOKEN --message-key FILE`
    /// read them: a file of exactly 32 bytes or 64 hexadecimal digits (`openssl rand -hex 32`).
    /// Without it a key is made at each start, and tokens do not survive a restart.
    #[arg(long, value_name = "FILE")]
    message_key: Option<PathBuf>,
    /// Gateway mode: every SigV4-signed AWS request outside the API (and every anonymous S3
    /// request) is authenticated, mapped to its IAM action and resource, and decided against the
    /// account data; denied requests get the service's AccessDenied answer. Needs `--account-data`.
    #[arg(long, requires = "account_data")]
    gateway: bool,
    /// Where the gateway sends allowed requests, unchanged: a loopback URL such as
    /// `http://127.0.0.1:4566` (an emulator). Without it, allowed requests get a JSON answer.
    #[arg(long, value_name = "URL", requires = "gateway")]
    upstream: Option<String>,
    /// The region the gateway serves: every request must be signed for it (a request signed for
    /// another region is refused), and it is the requests' `aws:RequestedRegion`.
    #[arg(long, value_name = "REGION", default_value = "us-east-1", requires = "gateway")]
    region: String,
    /// A host name the gateway also serves path-style, besides `localhost` and loopback
    /// addresses (repeat the flag for more). Give only names your emulator also treats as
    /// path-style hosts.
    #[arg(long = "endpoint-host", value_name = "NAME", requires = "gateway")]
    endpoint_hosts: Vec<String>,
    /// Forward the emulator's own control paths (`/moto-api/`, `/_localstack/`, `/_aws/`,
    /// instance metadata) to the upstream without authorization. Off by default: they are
    /// refused with `IamspectEmulatorControlPath`.
    #[arg(long, requires = "gateway")]
    allow_emulator_control: bool,
    /// Trust the `X-Forwarded-Proto` header of a TLS proxy in front of the gateway: `https` makes
    /// a request's `aws:SecureTransport` true. Without it the gateway listens on plain HTTP,
    /// `aws:SecureTransport` is false, and the header is refused.
    #[arg(long, requires = "gateway")]
    trust_forwarded_proto: bool,
    /// Give a KMS key that the account data holds no key policy for AWS's default key policy (the
    /// one a key created without a policy gets: IAM policies of the key's account decide). Without
    /// it, a request on such a key is denied by the missing key policy.
    #[arg(long, requires = "gateway")]
    default_key_policy: bool,
    /// The signing keys of an OIDC issuer, for STS `AssumeRoleWithWebIdentity`: `ISSUER=FILE`,
    /// the issuer as its tokens' `iss` says it (`https://token.actions.githubusercontent.com`) and
    /// a JWKS file (what the issuer's `jwks_uri` serves). Repeat the flag for more issuers. The
    /// issuer must also be an OIDC provider in the account data (`aws iam
    /// list-open-id-connect-providers` and `get-open-id-connect-provider` outputs).
    #[arg(long = "oidc-jwks", value_name = "ISSUER=FILE")]
    oidc_jwks: Vec<String>,
}

pub(crate) fn run(args: Args) -> u8 {
    let gateway = if args.gateway {
        let upstream = match args.upstream.as_deref().map(iamspect_server::gateway::Upstream::parse).transpose() {
            Ok(u) => u,
            Err(e) => {
                eprintln!("error: {e}");
                return BAD_INPUT;
            }
        };
        let region_ok = !args.region.is_empty()
            && args.region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            eprintln!("error: --region `{}` is not a region name such as us-east-1", args.region);
            return BAD_INPUT;
        }
        for host in &args.endpoint_hosts {
            let ok = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            if !ok {
                eprintln!("error: --endpoint-host `{host}` is not a host name (letters, digits, `-` and `.`, no port)");
                return BAD_INPUT;
            }
        }
        Some(iamspect_server::gateway::Gateway {
            upstream,
            region: args.region,
            endpoint_hosts: args.endpoint_hosts,
            allow_emulator_control: args.allow_emulator_control,
            trust_forwarded_proto: args.trust_forwarded_proto,
            default_key_policy: args.default_key_policy,
        })
    } else {
        None
    };
    let mut oidc_jwks = Vec::with_capacity(args.oidc_jwks.len());
    for pair in &args.oidc_jwks {
        match pair.split_once('=') {
            Some((issuer, file)) if !issuer.is_empty() && !file.is_empty() => {
                oidc_jwks.push((issuer.to_string(), PathBuf::from(file)));
            }
            _ => {
                eprintln!("error: --oidc-jwks `{pair}` is not ISSUER=FILE");
                return BAD_INPUT;
            }
        }
    }
    let config = iamspect_server::Config {
        oidc_jwks,
        gateway,
        bind: args.bind,
        account_data: args.account_data,
        credentials: args.credentials,
        allow_partial: args.allow_partial,
        max_sessions: args.max_sessions,
        message_key: args.message_key,
        settings: iamspect_server::Settings {
            body_limit: args.body_limit,
            timeout: Duration::from_secs(args.timeout.max(1)),
        },
    };
    match iamspect_server::run(config) {
        Ok(()) => SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            BAD_INPUT
        }
    }
}
