def main():
    a = []
    seed = 7
    for i in range(400):
        seed = (seed * 75 + 74) % 65537
        a.append(seed % 1000)
    n = len(a)
    for i in range(n - 1):
        for j in range(n - 1 - i):
            if a[j] > a[j + 1]:
                tmp = a[j]
                a[j] = a[j + 1]
                a[j + 1] = tmp
    print(f"{a[0]} {a[199]} {a[399]}")


main()
