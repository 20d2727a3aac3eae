//! libnftables, loaded at run time: the `nft` language run in-process, without a
//! subprocess per change.
//!
//! The library (`libnftables.so.1`, shipped with the `nft` tool) is opened with
//! `dlopen` once; each [`Nft`] owns one `nft_ctx` whose netlink socket lives in the
//! network namespace of the thread that first runs a command on it.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::ptr::NonNull;
use std::sync::OnceLock;

use libloading::Library;

use super::FirewallError;

type CtxNew = unsafe extern "C" fn(u32) -> *mut c_void;
type CtxFree = unsafe extern "C" fn(*mut c_void);
type CtxBuffer = unsafe extern "C" fn(*mut c_void) -> c_int;
type CtxGetBuffer = unsafe extern "C" fn(*mut c_void) -> *const c_char;
type CtxSetFlags = unsafe extern "C" fn(*mut c_void, c_uint);
type RunCmd = unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int;

/// `NFT_CTX_OUTPUT_JSON` of libnftables.h.
pub const OUTPUT_JSON: c_uint = 1 << 4;

struct Api {
    // Keeps the symbols below valid.
    _lib: Library,
    ctx_new: CtxNew,
    ctx_free: CtxFree,
    buffer_output: CtxBuffer,
    buffer_error: CtxBuffer,
    get_output: CtxGetBuffer,
    get_error: CtxGetBuffer,
    set_output_flags: CtxSetFlags,
    run_cmd: RunCmd,
}

fn load() -> Result<Api, String> {
    // SAFETY: libnftables' initialisers only set up its own state.
    let lib = unsafe { Library::new("libnftables.so.1") }.map_err(|e| e.to_string())?;
    macro_rules! sym {
        ($name:literal, $ty:ty) => {{
            // SAFETY: the type is the prototype libnftables.h declares for this symbol.
            let s = unsafe { lib.get::<$ty>($name) };
            *s.map_err(|e| e.to_string())?
        }};
    }
    let ctx_new = sym!(b"nft_ctx_new\0", CtxNew);
    let ctx_free = sym!(b"nft_ctx_free\0", CtxFree);
    let buffer_output = sym!(b"nft_ctx_buffer_output\0", CtxBuffer);
    let buffer_error = sym!(b"nft_ctx_buffer_error\0", CtxBuffer);
    let get_output = sym!(b"nft_ctx_get_output_buffer\0", CtxGetBuffer);
    let get_error = sym!(b"nft_ctx_get_error_buffer\0", CtxGetBuffer);
    let set_output_flags = sym!(b"nft_ctx_output_set_flags\0", CtxSetFlags);
    let run_cmd = sym!(b"nft_run_cmd_from_buffer\0", RunCmd);
    Ok(Api {
        _lib: lib,
        ctx_new,
        ctx_free,
        buffer_output,
        buffer_error,
        get_output,
        get_error,
        set_output_flags,
        run_cmd,
    })
}

fn api() -> Result<&'static Api, FirewallError> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(load)
        .as_ref()
        .map_err(|e| FirewallError::Unavailable(e.clone()))
}

/// One libnftables context.
pub struct Nft {
    api: &'static Api,
    ctx: NonNull<c_void>,
}

impl Nft {
    /// Creates a context with buffered output and errors.
    pub fn new() -> Result<Self, FirewallError> {
        let api = api()?;
        // SAFETY: 0 is NFT_CTX_DEFAULT; a null return is handled.
        let ctx = NonNull::new(unsafe { (api.ctx_new)(0) })
            .ok_or_else(|| FirewallError::Unavailable("nft_ctx_new failed".into()))?;
        // SAFETY: ctx is a live context owned by this value.
        unsafe {
            (api.buffer_output)(ctx.as_ptr());
            (api.buffer_error)(ctx.as_ptr());
        }
        Ok(Self { api, ctx })
    }

    /// Sets libnftables output flags (e.g. [`OUTPUT_JSON`]).
    pub fn set_output_flags(&mut self, flags: c_uint) {
        // SAFETY: ctx is a live context owned by this value.
        unsafe { (self.api.set_output_flags)(self.ctx.as_ptr(), flags) }
    }

    /// Runs `cmd` (one or more nft commands, applied as one transaction) and returns
    /// its output.
    pub fn run(&mut self, cmd: &str) -> Result<String, FirewallError> {
        let c = CString::new(cmd).map_err(|_| FirewallError::Nft {
            command: cmd.to_string(),
            message: "command contains a NUL byte".into(),
        })?;
        // SAFETY: ctx is live and c is NUL-terminated; the buffers returned are owned by
        // ctx and copied out before the next call on it.
        unsafe {
            let rc = (self.api.run_cmd)(self.ctx.as_ptr(), c.as_ptr());
            let out = buffer_text((self.api.get_output)(self.ctx.as_ptr()));
            let err = buffer_text((self.api.get_error)(self.ctx.as_ptr()));
            if rc != 0 {
                return Err(FirewallError::Nft {
                    command: cmd.to_string(),
                    message: err.trim().to_string(),
                });
            }
            Ok(out)
        }
    }
}

/// Copies a libnftables buffer (NUL-terminated, possibly null) into a String.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string valid for the duration of the call.
unsafe fn buffer_text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: guaranteed by the caller.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

impl Drop for Nft {
    fn drop(&mut self) {
        // SAFETY: ctx was returned by nft_ctx_new and is freed exactly once.
        unsafe { (self.api.ctx_free)(self.ctx.as_ptr()) }
    }
}
