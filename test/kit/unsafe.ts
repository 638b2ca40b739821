/**
 * Raw control characters (but tab and newline, which output is made of) and bidi characters:
 * none may reach a terminal or a log from outside text. Written here independently of the code
 * under test, so that a gap in its own pattern shows.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
export const RAW_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069]/;
