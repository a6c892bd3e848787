from hypnoscript.cli.main import main

raise SystemExit(main())
