//! The miss-ratio-curve worker: a Web Worker that computes the curves of some policies on one
//! trace for the cache lab's panel, off the page's thread. It says `Ready`, takes one request
//! (`{request: JSON, bytes: Uint8Array}`), reports progress and the curves, and is terminated
//! by the page. The protocol is `orrery_web::labs::cache_mrc::{WorkerRequest, WorkerReply}`.

use orrery_web::labs::cache_mrc::{serve, WorkerReply, WorkerRequest};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_scope = scope.clone();
    let post = move |reply: &WorkerReply| {
        let json = serde_json::to_string(reply).unwrap_or_default();
        let _ = reply_scope.post_message(&json.into());
    };
    let on_message = {
        let post = post.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data();
            let request = js_sys::Reflect::get(&data, &"request".into())
                .ok()
                .and_then(|v| v.as_string())
                .and_then(|s| serde_json::from_str::<WorkerRequest>(&s).ok());
            let Some(request) = request else {
                post(&WorkerReply::Error(
                    "the worker got a garbled request".into(),
                ));
                return;
            };
            let bytes = js_sys::Reflect::get(&data, &"bytes".into())
                .ok()
                .map(|v| js_sys::Uint8Array::new(&v).to_vec())
                .unwrap_or_default();
            let post = post.clone();
            serve(&request, bytes, &js_sys::Date::now, &mut |r| post(r));
        })
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(&WorkerReply::Ready);
}
