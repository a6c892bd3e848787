def main():
    n = 0
    for i in range(30000):
        s = "item-" + str(i)
        u = s.upper()
        if "ITEM-1" in u:
            n = n + len(u)
    print(n)


main()
