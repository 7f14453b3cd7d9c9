//! The recording service and the actix-web handlers of the HTTP contract, mountable into any actix-web app.
