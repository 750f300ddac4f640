//! A small actix server of the test's own (an identity provider, a JWKS
//! endpoint) on a loopback listener, run on a thread of its own.

use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

/// Serves what `configure` registers on `listener` with one worker; the
/// returned handle stops it.
pub fn serve<F>(listener: TcpListener, configure: F) -> ServerHandle
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
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
    receiver.recv().expect("the loopback server started")
}
