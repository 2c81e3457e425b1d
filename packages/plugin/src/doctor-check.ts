// The shape of one `lattice doctor` finding.

/** `pass`: fine. `warn`: works, but not as advised. `fail`: broken; doctor exits 1. */
export type CheckOutcome = "pass" | "warn" | "fail";

/** One finding of `lattice doctor`. */
export interface DoctorCheck {
  /** What was checked, e.g. `JetStream enabled`. */
  readonly name: string;
  /** The verdict. */
  readonly outcome: CheckOutcome;
  /** What was found. */
  readonly detail: string;
  /** A concrete next step when the outcome is not `pass`. */
  readonly fix?: string;
}
