def classify(v):
    if v == 0:
        return 0
    if v % 15 == 0:
        return 15
    if v % 5 == 0:
        return 5
    if v % 3 == 0:
        return 3
    return 1


def main():
    total = 0
    for i in range(100000):
        total += classify(i)
    print(total)


main()
