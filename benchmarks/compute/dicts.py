def main():
    counts = {}
    words = ["alpha", "beta", "gamma", "delta", "alpha", "beta"]
    for i in range(60000):
        w = words[i % 6]
        if counts.get(w) is None:
            counts[w] = 0
        counts[w] = counts[w] + 1
    print(counts["alpha"] + counts["delta"])


main()
