def main():
    data = []
    for i in range(50000):
        data.append(i % 97)
    total = 0
    for _ in range(10):
        for x in data:
            total = total + x
    print(total)


main()
