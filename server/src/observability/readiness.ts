/** Status of one dependency for `/ready`. */
export interface ComponentStatus {
  ok: boolean;
  detail?: string;
  /** A failing optional component (one with a fallback) is reported but does not make the server unready. */
  optional?: boolean;
}

/** Every dependency's status, by name, as `/ready` reports it. */
export type Readiness = () => Promise<Record<string, ComponentStatus>>;
