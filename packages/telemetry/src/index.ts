export { startTracing, type Tracing, type TracingMode, tracingMode } from './tracing.ts';
