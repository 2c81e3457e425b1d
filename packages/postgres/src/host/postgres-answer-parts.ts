// Status answers in NOTIFY-sized parts. A NOTIFY payload must stay under 8000 bytes; an answer is a few hundred,
// but one near the answer bound (a long HTTP address beyond ASCII, escaped) travels in parts —
// `{"answer", "part", "parts", "text"}`, sent in one statement and so delivered together and in order — that the
// requester joins again. Payloads are plain ASCII (JSON's \u escapes), whatever the database's encoding.
//
// Parts come from whoever may NOTIFY in the database, so joining is bounded (issue 27): at most
// MAX_ANSWER_PARTS parts of at most PART_TEXT_LENGTH characters, STATUS_LIMITS.pendingPartedAnswers answers
// assembled at once, and a part out of bounds is refused — never trusted to size an allocation.
import { randomBytes } from "node:crypto";
import { STATUS_LIMITS } from "@lattice-cache/plugin";

/** The largest NOTIFY payload PostgreSQL accepts, in bytes (it refuses 8000 and more). */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7999;
/** Characters of an answer per part: JSON escaping may double them, and the part's fields fit in the rest. */
export const PART_TEXT_LENGTH = 3500;
/** The most parts an answer within STATUS_LIMITS.answerBytes needs. */
export const MAX_ANSWER_PARTS = Math.ceil(STATUS_LIMITS.answerBytes / PART_TEXT_LENGTH);

/** An answer's id: the random hex `answerPayloads` gives it. */
const ANSWER_ID = /^[0-9a-f]{1,32}$/;

/** JSON with every character beyond ASCII escaped, so its length is its size in bytes in any encoding. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** One answer (ASCII text) as NOTIFY payloads: itself when it fits, else its parts. */
export function answerPayloads(text: string): string[] {
  if (text.length <= MAX_NOTIFY_PAYLOAD_BYTES) return [text];
  const answer = randomBytes(8).toString("hex");
  const parts = Math.ceil(text.length / PART_TEXT_LENGTH);
  return Array.from({ length: parts }, (_, part) =>
    asciiJson({
      answer,
      part,
      parts,
      text: text.slice(part * PART_TEXT_LENGTH, (part + 1) * PART_TEXT_LENGTH),
    }),
  );
}

/** A payload that claims to be a part: a JSON object with a string `answer` and a `parts` member. */
function claimedPart(payload: string): Record<string, unknown> | undefined {
  if (!payload.startsWith("{") || !payload.includes('"parts"')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const v = value as Record<string, unknown> | null;
  return typeof v === "object" && v !== null && typeof v.answer === "string" && "parts" in v ? v : undefined;
}

/** Where {@link AnswerParts} hands what it joined and what it refused. */
export interface AnswerPartsSink {
  /** A whole answer: a payload that is one, or the joined parts of one. */
  answer(text: string): void;
  /** A part out of bounds, or an answer missing parts at the end. */
  refused(detail: string): void;
}

/** Joins the parted answers among the payloads of one request's reply channel, within bounds. */
export class AnswerParts {
  private readonly pending = new Map<string, { parts: number; texts: (string | undefined)[]; got: number }>();

  constructor(private readonly sink: AnswerPartsSink) {}

  /** Takes one payload: a whole answer goes on at once, a part waits for the rest of its answer. */
  add(payload: string): void {
    const v = claimedPart(payload);
    if (v === undefined) {
      this.sink.answer(payload);
      return;
    }
    const problem = this.take(v);
    if (problem !== undefined)
      this.sink.refused(`a part of answer ${JSON.stringify(String(v.answer).slice(0, 32))} ${problem}`);
  }

  /** Files one part (joining its answer once whole), or says why it is refused. */
  private take(v: Record<string, unknown>): string | undefined {
    const { answer, part, parts, text } = v;
    if (
      typeof answer !== "string" ||
      !ANSWER_ID.test(answer) ||
      typeof parts !== "number" ||
      !Number.isSafeInteger(parts) ||
      parts < 2 ||
      parts > MAX_ANSWER_PARTS ||
      typeof part !== "number" ||
      !Number.isSafeInteger(part) ||
      part < 0 ||
      part >= parts ||
      typeof text !== "string" ||
      text.length > PART_TEXT_LENGTH
    ) {
      return `out of bounds (2 to ${MAX_ANSWER_PARTS} parts of at most ${PART_TEXT_LENGTH} characters)`;
    }
    let entry = this.pending.get(answer);
    if (entry === undefined) {
      if (this.pending.size >= STATUS_LIMITS.pendingPartedAnswers) {
        return `while ${STATUS_LIMITS.pendingPartedAnswers} answers are being joined already`;
      }
      entry = { parts, texts: new Array<string | undefined>(parts).fill(undefined), got: 0 };
      this.pending.set(answer, entry);
    }
    if (entry.parts !== parts || entry.texts[part] !== undefined) return "that contradicts its other parts";
    entry.texts[part] = text;
    entry.got += 1;
    if (entry.got === entry.parts) {
      this.pending.delete(answer);
      this.sink.answer(entry.texts.join(""));
    }
    return undefined;
  }

  /** Refuses every answer still missing parts (the window is over). */
  finish(): void {
    for (const [answer, { parts, got }] of this.pending) {
      this.sink.refused(`incomplete answer ${answer}: ${got} of ${parts} parts arrived`);
    }
    this.pending.clear();
  }
}
