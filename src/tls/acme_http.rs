//! The ACME client's HTTP, through the server's outbound `ureq` agent
//! (`outbound::agent`) rather than a second HTTP stack (hyper) in the
//! binary. It trusts the bundled Mozilla roots, so a bare machine with no
//! CA store still reaches Let's Encrypt, or only `tls.acme_ca_file` for a
//! private CA.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use instant_acme::{BodyWrapper, BytesResponse, Error, HttpClient};
use ureq::http::{Request, Response};
use ureq::tls::{Certificate, RootCerts};

use crate::outbound;

pub struct AcmeHttp {
    agent: ureq::Agent,
}

impl AcmeHttp {
    /// An agent trusting the bundled roots, or only the CA in `ca_file`;
    /// the error names the file.
    pub fn new(ca_file: Option<&Path>) -> Result<Self, String> {
        let roots = match ca_file {
            None => RootCerts::WebPki,
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    format!("cannot read tls.acme_ca_file `{}`: {e}", path.display())
                })?;
                let certificate = Certificate::from_pem(&pem).map_err(|e| {
                    format!(
                        "tls.acme_ca_file `{}` holds no PEM certificate: {e}",
                        path.display()
                    )
                })?;
                RootCerts::new_with_certs(&[certificate])
            }
        };
        let agent = outbound::agent(Duration::from_secs(10), Duration::from_secs(30), roots);
        Ok(Self { agent })
    }
}

impl HttpClient for AcmeHttp {
    fn request(
        &self,
        request: Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, Error>> + Send>> {
        let agent = self.agent.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = match body.collect().await {
                Ok(collected) => collected.to_bytes().to_vec(),
                Err(never) => match never {},
            };
            let request = Request::from_parts(parts, body);
            // ureq blocks; keep it off the async threads.
            let response = tokio::task::spawn_blocking(move || call(&agent, request))
                .await
                .map_err(|e| Error::Other(Box::new(e)))??;
            Ok(BytesResponse::from(response))
        })
    }
}

/// Sends `request` and reads the whole (small) answer.
fn call(agent: &ureq::Agent, request: Request<Vec<u8>>) -> Result<Response<Full<Bytes>>, Error> {
    let response = agent.run(request).map_err(|e| Error::Other(Box::new(e)))?;
    let (parts, mut body) = response.into_parts();
    let bytes = body
        .with_config()
        .limit(1024 * 1024)
        .read_to_vec()
        .map_err(|e| Error::Other(Box::new(e)))?;
    Ok(Response::from_parts(parts, Full::new(Bytes::from(bytes))))
}
