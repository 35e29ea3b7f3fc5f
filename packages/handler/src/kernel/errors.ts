/** Errors a caller can meet from the kernel engine; their messages say what to do. */
export class KernelBusyError extends Error {
  override name = "KernelBusyError";
}

/** The process runs MCP_MAX_KERNELS kernels and none can be shut down to make room. */
export class KernelCapacityError extends Error {
  override name = "KernelCapacityError";
}
