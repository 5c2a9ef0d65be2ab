#!/usr/bin/env python3
"""Independent reference values for the indicators in Modeling/Features.cs, written from the textbook
definitions (Wilder 1978 for RSI and ATR; Appel's MACD with SMA-seeded EMAs as in TA-Lib; Bollinger %B with the
population standard deviation). Pure Python, no libraries. Run: python3 make_indicator_reference.py > indicators.csv"""
import math, random

def series(n=80, seed=3):
    rnd = random.Random(seed)
    price, rows = 100.0, []
    for i in range(n):
        o = price
        c = o * math.exp(rnd.gauss(0, 0.01))
        h = max(o, c) * (1 + abs(rnd.gauss(0, 0.004)))
        l = min(o, c) * (1 - abs(rnd.gauss(0, 0.004)))
        v = 100 + 50 * rnd.random()
        rows.append((round(o, 4), round(h, 4), round(l, 4), round(c, 4), round(v, 4)))
        price = c
    return rows

def sma(xs): return sum(xs) / len(xs)

def ema_series(xs, period):
    """EMA defined from index period-1 of xs (a list without gaps), seeded with the SMA."""
    out = [None] * len(xs)
    k = 2 / (period + 1)
    out[period - 1] = sma(xs[:period])
    for i in range(period, len(xs)):
        out[i] = xs[i] * k + out[i - 1] * (1 - k)
    return out

def rsi(closes, period=14):
    out = [None] * len(closes)
    gains = [max(closes[i] - closes[i - 1], 0) for i in range(1, len(closes))]
    losses = [max(closes[i - 1] - closes[i], 0) for i in range(1, len(closes))]
    ag, al = sma(gains[:period]), sma(losses[:period])
    def value(g, l): return 50.0 if g == 0 and l == 0 else (100.0 if l == 0 else 100 - 100 / (1 + g / l))
    out[period] = value(ag, al)
    for i in range(period + 1, len(closes)):
        ag = (ag * (period - 1) + gains[i - 1]) / period
        al = (al * (period - 1) + losses[i - 1]) / period
        out[i] = value(ag, al)
    return out

def macd_hist(closes, fast=12, slow=26, signal=9):
    ef, es = ema_series(closes, fast), ema_series(closes, slow)
    macd = [ef[i] - es[i] for i in range(slow - 1, len(closes))]
    sig = ema_series(macd, signal)
    out = [None] * len(closes)
    for j in range(signal - 1, len(macd)):
        out[slow - 1 + j] = macd[j] - sig[j]
    return out

def atr(rows, period=14):
    tr = [None] + [max(rows[i][1] - rows[i][2], abs(rows[i][1] - rows[i - 1][3]), abs(rows[i][2] - rows[i - 1][3])) for i in range(1, len(rows))]
    out = [None] * len(rows)
    a = sma(tr[1:period + 1])
    out[period] = a
    for i in range(period + 1, len(rows)):
        a = (a * (period - 1) + tr[i]) / period
        out[i] = a
    return out

def percent_b(closes, period=20, width=2):
    out = [None] * len(closes)
    for i in range(period - 1, len(closes)):
        w = closes[i - period + 1:i + 1]
        m = sma(w)
        sd = math.sqrt(sum((x - m) ** 2 for x in w) / period)
        out[i] = 0.5 if sd == 0 else (closes[i] - (m - width * sd)) / (2 * width * sd)
    return out

rows = series()
closes = [r[3] for r in rows]
cols = [rsi(closes), macd_hist(closes), atr(rows), percent_b(closes)]
print("open,high,low,close,volume,rsi_14,macd_hist,atr_14,bollinger_pb")
for i, r in enumerate(rows):
    vals = ["" if c[i] is None else repr(c[i]) for c in cols]
    print(",".join([repr(x) for x in r] + vals))
