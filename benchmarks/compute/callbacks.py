def main():
    xs = list(range(20000))
    total = 0
    for _ in range(5):
        ys = list(map(lambda v: v * 2, xs))
        zs = list(filter(lambda v: v % 3 == 0, ys))
        total += len(zs)
    print(total)


main()
