#!/usr/bin/env python3
"""tests/integration/ivr_wav.py — prompt files for the IVR test and the demo.

    ivr_wav.py DIR     writes DIR/welcome.wav (1.5 s: two beeps, 440 and
                       660 Hz) and DIR/moh.wav (4 s: a slow arpeggio),
                       16-bit mono 8 kHz PCM (the dataplane resamples and
                       encodes prompts at load: media/include/sb/prompt.h)
"""
import math
import struct
import sys
import wave

RATE = 8000


def tone(freq, ms, amp=0.3):
    n = RATE * ms // 1000
    return [amp * math.sin(2 * math.pi * freq * i / RATE) for i in range(n)]


def silence(ms):
    return [0.0] * (RATE * ms // 1000)


def write(path, samples):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(s * 32767)) for s in samples))


def main():
    d = sys.argv[1]
    write(d + "/welcome.wav", tone(440, 400) + silence(200) + tone(660, 400) + silence(500))
    moh = []
    for f in (262, 330, 392, 523, 392, 330, 262, 196):
        moh += tone(f, 450, 0.2) + silence(50)
    write(d + "/moh.wav", moh)


if __name__ == "__main__":
    main()
