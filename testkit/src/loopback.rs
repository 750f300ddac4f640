//! A small actix server of the test's own (an identity provider, a JWKS
//! endpoint) on a loopback listener, run on a thread of its own.

use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

/// A test's own server on 127.0.0.1; it stops when dropped.
pub struct LoopbackServer {
    pub port: u16,
    handle: ServerHandle,
}

impl LoopbackServer {
    /// Serves what `configure` registers on `listener`, with one worker.
    pub fn start<F>(listener: TcpListener, configure: F) -> Self
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let port = listener.local_addr().expect("address").port();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || App::new().configure(configure.clone()))
                    .workers(1)
                    .listen(listener)
                    .expect("listen")
                    .run();
                sender.send(server.handle()).expect("send handle");
                server.await
            })
        });
        let handle = receiver.recv().expect("the loopback server started");
        Self { port, handle }
    }

    /// `http://127.0.0.1:<port>/`: an issuer URL, as providers write them.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}
