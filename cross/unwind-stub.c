/*
 * The unwinder lvsmon's static binaries link on the sysroot targets (armv7, armv6,
 * mipsel, mips): the entry points std references, and nothing else.
 *
 * Why no real unwinder: lvsmon is built with panic = "abort" and std without its
 * "panic-unwind" and "backtrace" features (cross/build.sh). Nothing ever unwinds, and
 * std's backtrace printer, the only caller of _Unwind_Backtrace, runs only when
 * std::panic::get_backtrace_style() returns Some, which without the "backtrace"
 * feature it never does (library/std/src/panic.rs: `if !cfg!(feature = "backtrace")
 * { return None; }`). The call survives in the binary only because opt-level "z" does
 * not inline that function. LLVM libunwind cost ~11 KB there, plus ~10 KB of musl's
 * printf that its abort messages pull in (cross/SIZES.md).
 *
 * If std ever calls another _Unwind_* function, the link fails (undefined symbol)
 * instead of silently misbehaving.
 */
#include <stdint.h>

struct _Unwind_Context;
typedef int _Unwind_Reason_Code;
typedef _Unwind_Reason_Code (*_Unwind_Trace_Fn)(struct _Unwind_Context *, void *);

/* _URC_END_OF_STACK in the Itanium C++ ABI's unwind interface. */
#define URC_END_OF_STACK 5

/* An empty stack: the trace callback is never called. */
_Unwind_Reason_Code _Unwind_Backtrace(_Unwind_Trace_Fn trace, void *arg)
{
	(void)trace;
	(void)arg;
	return URC_END_OF_STACK;
}

/* Only meaningful inside a trace callback, which is never called. */
uintptr_t _Unwind_GetIP(struct _Unwind_Context *context)
{
	(void)context;
	return 0;
}

#if defined(__arm__)
/*
 * ARM EHABI: std's unwind crate implements _Unwind_GetIP itself, as an inline
 * function over this one (library/unwind/src/libunwind.rs), so the ARM link asks for
 * it. Same reasoning: only reachable from a trace callback, which is never called.
 * 1 is _UVRSR_NOT_IMPLEMENTED in the ARM EHABI.
 */
int _Unwind_VRS_Get(struct _Unwind_Context *context, int regclass, uint32_t regno,
		    int representation, void *valuep)
{
	(void)context;
	(void)regclass;
	(void)regno;
	(void)representation;
	(void)valuep;
	return 1;
}
#endif
